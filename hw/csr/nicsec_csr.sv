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
//
// SA mailbox and event FIFO registers: SA_SELECT / SA_KEY* / the SA record (SA_SPI ..
// SA_WINDOW_SEEN) are plain read/write registers holding a command's operands; a write to
// SA_CMD pulses sa_cmd_start; the engine loads READ results (sa_load) and clears the key words
// when a command completes. A write to EVENT_POP pulses event_pop and latches the FIFO head
// (event_*) into EVENT_INFO / EVENT_VALUE_*.
module nicsec_csr
  import nicsec_regs_pkg::*;
  import esp_pkg::*;
#(
    parameter int unsigned LANES = 1,
    parameter int unsigned SA_DEPTH_LOG2 = 12,
    parameter int unsigned REPLAY_WIN_LOG2 = 10,
    parameter logic [31:0] FEATURES = 32'h0
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
    output logic irq,
    output logic [31:0] in_spi_base,

    // SA mailbox
    output logic                            sa_cmd_start,
    output logic       [               2:0] sa_op,
    output logic       [              15:0] sa_index,
    output logic                            sa_dir_in,
    output rec_words_t                      sa_words,
    output logic       [             255:0] sa_key,
    input  logic                            sa_busy,
    input  logic                            sa_error,
    input  logic                            sa_done,
    input  logic                            sa_load,
    input  rec_words_t                      sa_load_words,
    input  logic       [PROBE_WORDS*32-1:0] sa_probe,

    // event FIFO head
    output logic        event_pop,
    input  logic        event_valid,
    input  logic [31:0] event_info,   // EVENT_INFO layout without VALID
    input  logic [63:0] event_head_value,

    // TX steering table window (STEER_*): a write of a STEER_* register, and the value of the
    // register the read channel addresses (word addresses)
    output logic                  steer_we,
    output logic [CSR_ADDR_W-1:0] steer_waddr,
    output logic [          31:0] steer_wdata,
    output logic [          31:0] steer_wmask,
    output logic [CSR_ADDR_W-1:0] steer_raddr,
    input  logic [          31:0] steer_rdata
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

  // The SA record, key and probe windows are runs of consecutive words.
  function automatic logic in_record(input logic [CSR_ADDR_W-1:0] a);
    return a >= REG_SA_SPI && a <= REG_SA_WINDOW_SEEN;
  endfunction
  function automatic logic in_keys(input logic [CSR_ADDR_W-1:0] a);
    return a >= REG_SA_KEY0 && a <= REG_SA_KEY7;
  endfunction
  // The STEER_* window: every register in it is read/write except STEER_STATUS.
  function automatic logic in_steer(input logic [CSR_ADDR_W-1:0] a);
    return (a >= REG_STEER_INDEX && a <= REG_STEER_DPORT) ||
           (a >= REG_STEER_SRC0 && a <= REG_STEER_DST3);
  endfunction
  function automatic logic in_probes(input logic [CSR_ADDR_W-1:0] a);
    return a >= REG_SA_KEYPROBE0 && a <= REG_SA_HPROBE3;
  endfunction

  function automatic logic [1:0] write_response(input logic [CSR_ADDR_W-1:0] word_addr);
    case (word_addr)
      REG_SCRATCH, REG_CONTROL, REG_IRQ_STATUS, REG_IRQ_ENABLE, REG_IN_SPI_BASE, REG_EVENT_POP,
      REG_SA_SELECT, REG_SA_CMD:
      return RESP_OKAY;
      REG_ID, REG_VERSION, REG_STATUS, REG_CAPS, REG_CYCLE_LO, REG_CYCLE_HI, REG_FEATURES,
      REG_EVENT_INFO, REG_EVENT_VALUE_LO, REG_EVENT_VALUE_HI, REG_SA_CMD_STATUS:
      return RESP_SLVERR;
      default: begin
        if (in_record(word_addr) || in_keys(word_addr)) return RESP_OKAY;
        if (in_probes(word_addr) || word_addr == REG_STEER_STATUS) return RESP_SLVERR;
        if (in_steer(word_addr)) return RESP_OKAY;
        return RESP_DECERR;
      end
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
  localparam logic [31:0] CONTROL_WRITABLE = 32'h1 << CONTROL_ENABLE_LSB;
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

  // ---- SA mailbox and events ----
  logic [31:0] spi_base_q, sa_select_q, sa_cmd_q, event_info_q;
  logic [63:0] event_value_q;
  logic [KEY_WORDS-1:0][31:0] key_q;
  logic [PROBE_WORDS-1:0][31:0] probe_q;
  // Word offsets inside the windows; the high bits are zero inside a window, checked by in_*().
  /* verilator lint_off UNUSEDSIGNAL */
  wire [CSR_ADDR_W-1:0] rec_off = write_word - REG_SA_SPI;
  wire [CSR_ADDR_W-1:0] key_off = write_word - REG_SA_KEY0;
  /* verilator lint_on UNUSEDSIGNAL */

  always_ff @(posedge clk) begin
    if (!rst_n) begin
      spi_base_q <= REG_IN_SPI_BASE_RESET;
      sa_select_q <= REG_SA_SELECT_RESET;
      sa_cmd_q <= REG_SA_CMD_RESET;
      event_info_q <= REG_EVENT_INFO_RESET;
      event_value_q <= '0;
      sa_words <= '0;
      key_q <= '0;
      probe_q <= '0;
      sa_cmd_start <= 1'b0;
      event_pop <= 1'b0;
    end else begin
      sa_cmd_start <= write_go && write_word == REG_SA_CMD && !sa_busy;
      event_pop <= write_go && write_word == REG_EVENT_POP && event_valid;
      if (write_go && write_word == REG_IN_SPI_BASE)
        spi_base_q <= merge(spi_base_q, write_data, write_mask);
      if (write_go && write_word == REG_SA_SELECT)
        sa_select_q <= merge(sa_select_q, write_data, write_mask);
      if (write_go && write_word == REG_SA_CMD && !sa_busy)
        sa_cmd_q <= merge(sa_cmd_q, write_data, write_mask);
      if (write_go && in_record(write_word))
        sa_words[rec_off[6:2]] <= merge(sa_words[rec_off[6:2]], write_data, write_mask);
      if (write_go && in_keys(write_word))
        key_q[key_off[4:2]] <= merge(key_q[key_off[4:2]], write_data, write_mask);
      if (write_go && write_word == REG_EVENT_POP) begin
        event_info_q <= event_valid ? (event_info | (32'h1 << EVENT_INFO_VALID_LSB)) : 32'h0;
        event_value_q <= event_valid ? event_head_value : 64'h0;
      end
      if (sa_load) begin
        sa_words <= sa_load_words;
        // KEYPROBE0 = round key 0 bits 127:96 (octet 0 first), ..., HPROBE3 = H bits 31:0
        for (int i = 0; i < PROBE_WORDS; i++) probe_q[i] <= sa_probe[32*(PROBE_WORDS-1-i)+:32];
      end
      if (sa_done) key_q <= '0;  // no key stays readable in the BAR
    end
  end

  assign in_spi_base = spi_base_q;
  assign steer_we = write_go && in_steer(write_word) && write_word != REG_STEER_STATUS;
  assign steer_waddr = write_word;
  assign steer_wdata = write_data;
  assign steer_wmask = write_mask;
  assign sa_op = sa_cmd_q[SA_CMD_OP_LSB+:3];
  assign sa_index = sa_select_q[SA_SELECT_INDEX_LSB+:16];
  assign sa_dir_in = sa_select_q[SA_SELECT_DIR_LSB];
  // SA_KEY0 holds key octets 0..3, which the AES core expects in bits 255:224.
  always_comb for (int i = 0; i < KEY_WORDS; i++) sa_key[32*(KEY_WORDS-1-i)+:32] = key_q[i];
  assign irq = |(irq_status_q & irq_enable_q);

  // ---- read channel ----
  assign s_arready = !s_rvalid;
  wire ar_fire = s_arvalid && s_arready;
  wire [CSR_ADDR_W-1:0] read_word = {s_araddr[CSR_ADDR_W-1:2], 2'b00};
  assign steer_raddr = read_word;

  // The two low address bits pick a byte inside a 32-bit register: every access is a word access.
  /* verilator lint_off UNUSEDSIGNAL */
  wire unused_byte_select = ^{s_araddr[1:0], write_addr[1:0]};
  /* verilator lint_on UNUSEDSIGNAL */
  assign read_cycle_lo = ar_fire && read_word == REG_CYCLE_LO;

  /* verilator lint_off UNUSEDSIGNAL */
  wire [CSR_ADDR_W-1:0] read_rec = read_word - REG_SA_SPI;
  wire [CSR_ADDR_W-1:0] read_key = read_word - REG_SA_KEY0;
  wire [CSR_ADDR_W-1:0] read_probe = read_word - REG_SA_KEYPROBE0;
  /* verilator lint_on UNUSEDSIGNAL */
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
                 | (32'(event_fifo_nonempty) << STATUS_EVENT_PENDING_LSB)
                 | (32'(sa_busy || sa_cmd_start) << STATUS_SA_BUSY_LSB);
      REG_CAPS: read_value = CAPS_VALUE;
      REG_CYCLE_LO: read_value = cycle_q[31:0];
      REG_CYCLE_HI: read_value = cycle_hi_latched_q;
      REG_IRQ_STATUS: read_value = irq_status_q;
      REG_IRQ_ENABLE: read_value = irq_enable_q;
      REG_FEATURES: read_value = FEATURES;
      REG_IN_SPI_BASE: read_value = spi_base_q;
      REG_EVENT_POP: read_value = 32'h0;
      REG_EVENT_INFO: read_value = event_info_q;
      REG_EVENT_VALUE_LO: read_value = event_value_q[31:0];
      REG_EVENT_VALUE_HI: read_value = event_value_q[63:32];
      REG_SA_SELECT: read_value = sa_select_q;
      REG_SA_CMD: read_value = sa_cmd_q;
      REG_SA_CMD_STATUS:
      read_value = (32'(sa_busy || sa_cmd_start) << SA_CMD_STATUS_BUSY_LSB)
                 | (32'(sa_error) << SA_CMD_STATUS_ERROR_LSB);
      default: begin
        read_value = 32'h0;
        if (in_record(read_word)) read_value = sa_words[read_rec[6:2]];
        else if (in_keys(read_word)) read_value = key_q[read_key[4:2]];
        else if (in_probes(read_word)) read_value = probe_q[read_probe[4:2]];
        else if (in_steer(read_word)) read_value = steer_rdata;
        else read_resp = RESP_DECERR;
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
