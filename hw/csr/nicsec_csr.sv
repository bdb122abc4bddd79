// Control/status register block of the nicsec ESP engine: an AXI4-Lite slave.
//
// Offsets, reset values and fields come from nicsec_regs_pkg, generated from
// hw/regmap/nicsec_regs.json, so the RTL, the C header and docs/REGISTERS.md cannot disagree.
//
// Bus behaviour (AXI4-Lite, one transaction in flight per direction):
//   - AW and W are accepted independently, in either order; the write happens when both are held.
//   - Responses: OKAY; SLVERR for a write to a read-only register (no effect);
//     DECERR for an address outside the map (reads return 0).
//   - WSTRB byte enables apply to read/write registers and to IRQ_STATUS (write 1 to clear).
//   - A new request is not accepted while its response waits for the master (B/R backpressure).
module nicsec_csr
  import nicsec_regs_pkg::*;
#(
    parameter int unsigned LANES = 1,
    parameter int unsigned SA_DEPTH_LOG2 = 12,
    parameter int unsigned REPLAY_WIN_LOG2 = 10
) (
    input logic clk,
    input logic rst_n,

    input  logic                  s_awvalid,
    output logic                  s_awready,
    input  logic [CSR_ADDR_W-1:0] s_awaddr,
    input  logic                  s_wvalid,
    output logic                  s_wready,
    input  logic [          31:0] s_wdata,
    input  logic [           3:0] s_wstrb,
    output logic                  s_bvalid,
    input  logic                  s_bready,
    output logic [           1:0] s_bresp,
    input  logic                  s_arvalid,
    output logic                  s_arready,
    input  logic [CSR_ADDR_W-1:0] s_araddr,
    output logic                  s_rvalid,
    input  logic                  s_rready,
    output logic [          31:0] s_rdata,
    output logic [           1:0] s_rresp,

    // From the datapath: level and one-cycle pulses that raise interrupt causes.
    input logic event_fifo_nonempty,
    input logic event_pushed,
    input logic error_seen,

    output logic ctrl_enable,
    output logic ctrl_drop_on_miss,
    output logic irq
);
  localparam logic [1:0] RESP_OKAY = 2'b00;
  localparam logic [1:0] RESP_SLVERR = 2'b10;
  localparam logic [1:0] RESP_DECERR = 2'b11;

  localparam logic [31:0] CAPS_VALUE = 32'((LANES & 'hf) << CAPS_LANES_LSB)
                                     | 32'((SA_DEPTH_LOG2 & 'h1f) << CAPS_SA_DEPTH_LOG2_LSB)
                                     | 32'((REPLAY_WIN_LOG2 & 'hf) << CAPS_REPLAY_WIN_LOG2_LSB);

  logic [31:0] scratch_q, control_q, irq_status_q, irq_enable_q;
  logic [63:0] cycle_q;
  logic [31:0] cycle_hi_latched_q;

  // ---- write channel: hold AW and W until both have arrived ----
  logic aw_held_q, w_held_q;
  logic [CSR_ADDR_W-1:0] awaddr_q;
  logic [31:0] wdata_q;
  logic [3:0] wstrb_q;

  assign s_awready = !aw_held_q && !s_bvalid;
  assign s_wready  = !w_held_q && !s_bvalid;

  wire aw_fire = s_awvalid && s_awready;
  wire w_fire = s_wvalid && s_wready;
  wire aw_now = aw_held_q || aw_fire;
  wire w_now = w_held_q || w_fire;
  wire write_go = aw_now && w_now;
  wire [CSR_ADDR_W-1:0] write_addr = aw_held_q ? awaddr_q : s_awaddr;
  wire [31:0] write_data = w_held_q ? wdata_q : s_wdata;
  wire [3:0] write_strb = w_held_q ? wstrb_q : s_wstrb;
  wire [31:0] write_mask = {{8{write_strb[3]}}, {8{write_strb[2]}},
                            {8{write_strb[1]}}, {8{write_strb[0]}}};

  function automatic logic [31:0] merge(input logic [31:0] old, input logic [31:0] data,
                                        input logic [31:0] mask);
    return (old & ~mask) | (data & mask);
  endfunction

  function automatic logic [1:0] write_response(input logic [CSR_ADDR_W-1:0] word_addr);
    case (word_addr)
      REG_SCRATCH, REG_CONTROL, REG_IRQ_STATUS, REG_IRQ_ENABLE: return RESP_OKAY;
      REG_ID, REG_VERSION, REG_STATUS, REG_CAPS, REG_CYCLE_LO, REG_CYCLE_HI: return RESP_SLVERR;
      default: return RESP_DECERR;
    endcase
  endfunction

  wire [CSR_ADDR_W-1:0] write_word = {write_addr[CSR_ADDR_W-1:2], 2'b00};
  wire write_scratch = write_go && write_word == REG_SCRATCH;
  wire write_control = write_go && write_word == REG_CONTROL;
  wire write_irq_status = write_go && write_word == REG_IRQ_STATUS;
  wire write_irq_enable = write_go && write_word == REG_IRQ_ENABLE;

  always_ff @(posedge clk) begin
    if (!rst_n) begin
      aw_held_q <= 1'b0;
      w_held_q  <= 1'b0;
      awaddr_q  <= '0;
      wdata_q   <= '0;
      wstrb_q   <= '0;
      s_bvalid  <= 1'b0;
      s_bresp   <= RESP_OKAY;
    end else begin
      if (write_go) begin
        aw_held_q <= 1'b0;
        w_held_q  <= 1'b0;
        s_bvalid  <= 1'b1;
        s_bresp   <= write_response(write_word);
      end else begin
        if (aw_fire) begin
          aw_held_q <= 1'b1;
          awaddr_q  <= s_awaddr;
        end
        if (w_fire) begin
          w_held_q <= 1'b1;
          wdata_q  <= s_wdata;
          wstrb_q  <= s_wstrb;
        end
        if (s_bvalid && s_bready) s_bvalid <= 1'b0;
      end
    end
  end

  // ---- registers ----
  // A cause raised in the same cycle as software clears it stays set: no event is ever lost.
  wire [31:0] irq_raised = (32'(event_pushed) << IRQ_STATUS_EVENT_LSB)
                         | (32'(error_seen) << IRQ_STATUS_ERROR_LSB);
  wire [31:0] irq_cleared = write_irq_status ? (write_data & write_mask) : 32'h0;
  localparam logic [31:0] CONTROL_WRITABLE = (32'h1 << CONTROL_ENABLE_LSB)
                                           | (32'h1 << CONTROL_DROP_ON_MISS_LSB);
  localparam logic [31:0] IRQ_BITS = (32'h1 << IRQ_STATUS_EVENT_LSB)
                                   | (32'h1 << IRQ_STATUS_ERROR_LSB);

  wire read_cycle_lo;

  always_ff @(posedge clk) begin
    if (!rst_n) begin
      scratch_q <= REG_SCRATCH_RESET;
      control_q <= REG_CONTROL_RESET;
      irq_status_q <= REG_IRQ_STATUS_RESET;
      irq_enable_q <= REG_IRQ_ENABLE_RESET;
      cycle_q <= '0;
      cycle_hi_latched_q <= REG_CYCLE_HI_RESET;
    end else begin
      cycle_q <= cycle_q + 64'd1;
      if (write_scratch) scratch_q <= merge(scratch_q, write_data, write_mask);
      if (write_control) control_q <= merge(control_q, write_data, write_mask & CONTROL_WRITABLE);
      if (write_irq_enable) irq_enable_q <= merge(irq_enable_q, write_data, write_mask & IRQ_BITS);
      irq_status_q <= (irq_status_q & ~irq_cleared) | irq_raised;
      if (read_cycle_lo) cycle_hi_latched_q <= cycle_q[63:32];
    end
  end

  assign ctrl_enable = control_q[CONTROL_ENABLE_LSB];
  assign ctrl_drop_on_miss = control_q[CONTROL_DROP_ON_MISS_LSB];
  assign irq = |(irq_status_q & irq_enable_q);

  // ---- read channel ----
  assign s_arready = !s_rvalid;
  wire ar_fire = s_arvalid && s_arready;
  wire [CSR_ADDR_W-1:0] read_word = {s_araddr[CSR_ADDR_W-1:2], 2'b00};

  // The two low address bits pick a byte inside a 32-bit register: every access is a word access.
  /* verilator lint_off UNUSEDSIGNAL */
  wire unused_byte_select = ^{s_araddr[1:0], write_addr[1:0]};
  /* verilator lint_on UNUSEDSIGNAL */
  assign read_cycle_lo = ar_fire && read_word == REG_CYCLE_LO;

  logic [31:0] read_value;
  logic [1:0] read_resp;
  always_comb begin
    read_resp = RESP_OKAY;
    case (read_word)
      REG_ID: read_value = REG_ID_RESET;
      REG_VERSION: read_value = REG_VERSION_RESET;
      REG_SCRATCH: read_value = scratch_q;
      REG_CONTROL: read_value = control_q;
      REG_STATUS:
      read_value = (32'(ctrl_enable) << STATUS_ENABLED_LSB)
                 | (32'(event_fifo_nonempty) << STATUS_EVENT_PENDING_LSB);
      REG_CAPS: read_value = CAPS_VALUE;
      REG_CYCLE_LO: read_value = cycle_q[31:0];
      REG_CYCLE_HI: read_value = cycle_hi_latched_q;
      REG_IRQ_STATUS: read_value = irq_status_q;
      REG_IRQ_ENABLE: read_value = irq_enable_q;
      default: begin
        read_value = 32'h0;
        read_resp  = RESP_DECERR;
      end
    endcase
  end

  always_ff @(posedge clk) begin
    if (!rst_n) begin
      s_rvalid <= 1'b0;
      s_rdata  <= '0;
      s_rresp  <= RESP_OKAY;
    end else if (ar_fire) begin
      s_rvalid <= 1'b1;
      s_rdata  <= read_value;
      s_rresp  <= read_resp;
    end else if (s_rvalid && s_rready) begin
      s_rvalid <= 1'b0;
    end
  end
endmodule
