// GHASH accumulator that folds up to LANES blocks per clock (SP 800-38D section 6.4).
//
// One lane: Y <- (Y ^ X) * H, a single GF(2^128) multiply in the feedback loop, so a block is
// absorbed every clock and the result of the last block is in `y` one clock later
// (LATENCY = 1 clock from the accepting edge; no pipelining inside the loop, because a deeper
// multiplier would force interleaving independent hashes to keep one block per clock).
//
// N lanes: a beat of cnt blocks X1..Xcnt (lane 0 = X1, earliest) updates
//   Y <- (Y ^ X1) * H^cnt  ^  X2 * H^(cnt-1)  ^ ... ^  Xcnt * H
// which equals cnt sequential one-block steps but keeps a single multiply depth in the loop;
// the cost is LANES multipliers and the per-SA powers H, H^2 .. H^LANES, which the SA install
// computes once (h_powers lane p holds H^(p+1)). A short beat (cnt < LANES, e.g. the tail of a
// packet) selects lower powers per lane; lanes at or beyond cnt multiply by zero.
//
// in_first starts a new hash (the stored Y is ignored), so back-to-back packets need no idle
// clock; Y is a data register and needs no reset. The update happens on en & in_valid.
module ghash_acc #(
    parameter int LANES = 1,
    localparam int CNT_W = $clog2(LANES + 1),
    localparam int DATA_W = 128 * LANES
) (
    input logic clk,
    input logic en,

    input logic              in_valid,
    input logic              in_first,
    input logic [ CNT_W-1:0] in_cnt,     // blocks in this beat, 1..LANES, left-aligned
    input logic [DATA_W-1:0] in_blocks,  // lane j in bits [128*j +: 128]
    input logic [DATA_W-1:0] h_powers,   // lane p in bits [128*p +: 128] = H^(p+1)

    output logic [127:0] y
);
  logic [127:0] y_q;
  logic [127:0] lane_product[LANES];
  logic [127:0] y_next;

  for (genvar j = 0; j < LANES; j++) begin : g_lane
    logic [127:0] operand;
    logic [127:0] power;

    if (j == 0) begin : g_chain
      assign operand = in_blocks[127:0] ^ (in_first ? 128'b0 : y_q);
    end else begin : g_plain
      assign operand = in_blocks[128*j+:128];
    end

    // Block j of a cnt-block beat is followed by cnt-1-j more, so it takes H^(cnt-j), which
    // sits in h_powers lane cnt-1-j; no match (j >= cnt) leaves zero.
    always_comb begin
      power = '0;
      for (int p = 0; p < LANES; p++) begin
        if (int'(in_cnt) - 1 - j == p) power = h_powers[128*p+:128];
      end
    end

    ghash_mul u_mul (
        .a(operand),
        .b(power),
        .y(lane_product[j])
    );
  end

  always_comb begin
    y_next = '0;
    for (int j = 0; j < LANES; j++) y_next = y_next ^ lane_product[j];
  end

  always_ff @(posedge clk) begin
    if (en && in_valid) y_q <= y_next;
  end

  assign y = y_q;
endmodule
