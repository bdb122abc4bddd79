// Simple dual-port RAM: one write port, one read port with a registered output (the shape of an
// FPGA block/Ultra RAM or an ASIC 1R1W macro). The crypto pipelines keep per-SA state (round
// keys, H) in these so that a lookup costs one clock and no multiplexer tree over all SAs.
//
// Read-during-write to the same address returns the OLD word. The pipelines never depend on it:
// an SA is written only while no block for that SA is in flight (install before steering,
// drain before delete), so either ordering would be correct.
//
// The read register only loads when `re` is high, so a stalled pipeline keeps the word it has
// already fetched and does not need to re-read after the stall.
module sdp_ram #(
    parameter int WIDTH = 128,
    parameter int DEPTH = 16,
    localparam int AW = (DEPTH > 1) ? $clog2(DEPTH) : 1
) (
    input  logic             clk,
    input  logic             we,
    input  logic [   AW-1:0] waddr,
    input  logic [WIDTH-1:0] wdata,
    input  logic             re,
    input  logic [   AW-1:0] raddr,
    output logic [WIDTH-1:0] rdata
);
  logic [WIDTH-1:0] mem[DEPTH];

  always_ff @(posedge clk) begin
    if (we) mem[waddr] <= wdata;
    if (re) rdata <= mem[raddr];
  end
endmodule
