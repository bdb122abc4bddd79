// Event FIFO between the two ESP pipelines and the CSR block. Egress and ingress each offer at
// most one event per clock (valid/ready); egress wins a tie, ingress waits one clock. When the
// FIFO is full an event is dropped and the next event taken out carries LOST, so a driver knows
// to re-read every SA's counters (HAL NICSEC_HAL_EV_OVERFLOW).
module esp_event_fifo #(
    parameter int DEPTH = 64,
    localparam int AW = $clog2(DEPTH)
) (
    input logic clk,
    input logic rst,

    input  logic        a_valid,  // egress (outbound SAs)
    output logic        a_ready,
    input  logic [ 3:0] a_type,
    input  logic [15:0] a_sa,
    input  logic [63:0] a_value,
    input  logic        b_valid,  // ingress (inbound SAs)
    output logic        b_ready,
    input  logic [ 3:0] b_type,
    input  logic [15:0] b_sa,
    input  logic [63:0] b_value,

    output logic        head_valid,
    output logic [ 3:0] head_type,
    output logic [15:0] head_sa,
    output logic        head_dir_in,
    output logic        head_lost,
    output logic [63:0] head_value,
    input  logic        pop,
    output logic        pushed  // pulse per event taken (raises IRQ_STATUS.EVENT)
);
  typedef struct packed {
    logic        lost;
    logic        dir_in;
    logic [3:0]  ev_type;
    logic [15:0] sa;
    logic [63:0] value;
  } entry_t;

  entry_t mem[DEPTH];
  logic [AW:0] wr, rd;
  logic lost_q;
  wire full = (wr - rd) == (AW + 1)'(DEPTH);

  // Both sources are always taken: a full FIFO drops the event and remembers that it did.
  assign a_ready = 1'b1;
  assign b_ready = !a_valid;
  wire take = a_valid || b_valid;
  entry_t incoming;
  assign incoming = a_valid ? '{lost: lost_q, dir_in: 1'b0, ev_type: a_type, sa: a_sa, value: a_value}
                            : '{lost: lost_q, dir_in: 1'b1, ev_type: b_type, sa: b_sa, value: b_value};

  always_ff @(posedge clk) begin
    if (rst) begin
      wr <= '0;
      rd <= '0;
      lost_q <= 1'b0;
      pushed <= 1'b0;
    end else begin
      pushed <= take && !full;
      if (take && !full) begin
        mem[wr[AW-1:0]] <= incoming;
        wr <= wr + 1'b1;
        lost_q <= 1'b0;
      end else if (take) begin
        lost_q <= 1'b1;
      end
      if (pop && head_valid) rd <= rd + 1'b1;
    end
  end

  entry_t head;
  assign head = mem[rd[AW-1:0]];
  assign head_valid = wr != rd;
  assign head_type = head.ev_type;
  assign head_sa = head.sa;
  assign head_dir_in = head.dir_in;
  assign head_lost = head.lost;
  assign head_value = head.value;
endmodule
