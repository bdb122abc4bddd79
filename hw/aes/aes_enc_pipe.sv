// Key-agile, fully pipelined AES-128/256 encryption: one beat of LANES x 128-bit blocks enters
// per clock, one round per stage, and every beat names its own SA. Consecutive beats may use
// different SAs and different key sizes; nothing is flushed or stalled on a change, because the
// round key for stage k is fetched from a per-stage, per-SA memory by the SA index that travels
// with the beat.
//
// Timing (edges counted from the one that accepts a beat):
//   edge 0         register 0 loads the beat; round-key RAMs 0 and 1 are read with in_sa
//   edge k (1..14) register k loads round k of the beat (AES-128: stages 11..14 pass the state
//                  through); RAM k+1 is read in the same edge with the SA moving into register k
//   out_*          = register 14, valid 15 clocks after the accepting edge for both key sizes
//                  (LATENCY = 15; throughput one beat per clock).
// A block of AES-128 takes its final round (no MixColumns) in stage 10 and passes stages 11..14
// unchanged: the fixed latency keeps beats in order at the cost of four idle stages for AES-128.
//
// Why the round-key RAM for stage k is addressed with the SA of stage k-2: the RAMs have a
// registered read (block RAM), so the word appears one clock after the address. Round k consumes
// the state held in register k-1 together with round key k; presenting the address one stage
// early (when the beat is in register k-2 and about to move into k-1) makes the key arrive in
// the same clock as the state and costs no extra pipeline stage. Stage 1 also applies the
// initial AddRoundKey (round key 0) in front of round 1, so both RAMs 0 and 1 are addressed by
// the incoming SA.
//
// Flow control: valid/ready with a global stall. The whole pipeline (including the RAM read
// registers, whose `re` is the same enable) advances when the output is taken or empty:
//   en = out_ready | ~out_valid,  in_ready = en.
// in_ready is therefore combinational from out_ready. At line rate the consumer ties out_ready
// high (credits are reserved upstream), en is constant 1 and synthesis removes the enables.
//
// Multi-lane: all LANES blocks of a beat share its SA (a beat never spans two packets), so one
// RAM read per stage feeds LANES round datapaths; LANES=4 gives 512 bits/clock without
// replicating the round-key memory.
//
// Round-key memory write port: driven by aes_key_expand at SA install. rk_idx selects the RAM
// (round), rk_is256 is stored beside round key 0 so a beat learns its key size from the same
// read that yields its first round key. Writing an SA while beats for it are in flight is the
// caller's error (delete is two-phase: stop steering, drain, then overwrite).
//
// Key probe (dbg_*): lets the SA mailbox read round key 0 of an SA back (to show that a deleted
// SA's key memory holds zeros). RAM 0 is read with dbg_sa in a clock where no beat enters
// (in_valid low) and the pipeline advances; that read only feeds the bubble entering stage 1,
// so traffic is never disturbed. dbg_rk0_valid marks the clock in which dbg_rk0 holds the word.
module aes_enc_pipe #(
    parameter int LANES = 1,
    parameter int NUM_SA = 16,
    parameter int TAG_W = 8,
    localparam int SA_W = (NUM_SA > 1) ? $clog2(NUM_SA) : 1,
    localparam int DATA_W = 128 * LANES
) (
    input logic clk,
    input logic rst,

    // round-key memory write port (from aes_key_expand)
    input logic            rk_we,
    input logic [SA_W-1:0] rk_sa,
    input logic [     3:0] rk_idx,
    input logic [   127:0] rk_data,
    input logic            rk_is256,

    // input beat: LANES blocks, lane l in bits [128*l +: 128]
    input  logic              in_valid,
    output logic              in_ready,
    input  logic [  SA_W-1:0] in_sa,
    input  logic [ TAG_W-1:0] in_tag,
    input  logic [DATA_W-1:0] in_block,

    // output beat: ciphertext blocks with the beat's SA and tag, in input order
    output logic              out_valid,
    input  logic              out_ready,
    output logic [  SA_W-1:0] out_sa,
    output logic [ TAG_W-1:0] out_tag,
    output logic [DATA_W-1:0] out_block,

    // key probe of round key 0 (see above)
    input  logic            dbg_re,
    input  logic [SA_W-1:0] dbg_sa,
    output logic [   127:0] dbg_rk0,
    output logic            dbg_rk0_valid
);
  localparam int NR_128 = 10;
  localparam int NR_256 = 14;
  localparam int LAST = NR_256;  // index of the last stage register
  localparam logic [1:0] ROUND_FULL = 2'd0;
  localparam logic [1:0] ROUND_FINAL = 2'd1;
  localparam logic [1:0] ROUND_PASS = 2'd2;

  logic en;

  // Stage registers 0..LAST. The wide ones are unpacked arrays (one word per stage, as in
  // silicon): a packed [LAST:0][TAG_W-1:0] vector would make every stage-to-stage move a
  // misaligned bit-field copy inside one 2,000-bit value in a cycle-based simulator.
  logic [LAST:0]             vld_q;
  logic [  SA_W-1:0]         sa_q     [LAST+1];
  logic [ TAG_W-1:0]         tag_q    [LAST+1];
  logic [DATA_W-1:0]         state_q  [LAST+1];
  // Key size of the beat in register k (k >= 1); register LAST does not need it.
  logic [LAST-1:1]           is256_q;

  logic [     127:0]         round_key  [0:LAST];
  logic                      rk0_is256;
  logic [DATA_W-1:0]         round_out  [1:LAST];

  assign en = out_ready | ~vld_q[LAST];
  assign in_ready = en;

  logic dbg_probe;
  assign dbg_probe = dbg_re && !in_valid;
  always_ff @(posedge clk) begin
    if (rst) dbg_rk0_valid <= 1'b0;
    else dbg_rk0_valid <= dbg_probe && en;
  end
  assign dbg_rk0 = round_key[0];

  // ---- per-stage round-key memories -----------------------------------------------------------
  for (genvar k = 0; k <= LAST; k++) begin : g_rk_mem
    localparam logic [3:0] IDX = 4'(k);
    logic [SA_W-1:0] raddr;
    if (k == 0) begin : g_addr_probe
      assign raddr = dbg_probe ? dbg_sa : in_sa;
    end else if (k == 1) begin : g_addr_in
      assign raddr = in_sa;
    end else begin : g_addr_stage
      assign raddr = sa_q[k-2];
    end

    if (k == 0) begin : g_ram0
      // Round key 0 carries the key size bit (bit 128).
      sdp_ram #(
          .WIDTH(129),
          .DEPTH(NUM_SA)
      ) u_ram (
          .clk  (clk),
          .we   (rk_we && rk_idx == IDX),
          .waddr(rk_sa),
          .wdata({rk_is256, rk_data}),
          .re   (en),
          .raddr(raddr),
          .rdata({rk0_is256, round_key[k]})
      );
    end else begin : g_ramk
      sdp_ram #(
          .WIDTH(128),
          .DEPTH(NUM_SA)
      ) u_ram (
          .clk  (clk),
          .we   (rk_we && rk_idx == IDX),
          .waddr(rk_sa),
          .wdata(rk_data),
          .re   (en),
          .raddr(raddr),
          .rdata(round_key[k])
      );
    end
  end

  // ---- round datapaths --------------------------------------------------------------------------
  for (genvar k = 1; k <= LAST; k++) begin : g_stage
    logic [       1:0] mode;
    logic [DATA_W-1:0] round_in;

    if (k == 1) begin : g_initial_ark
      assign round_in = state_q[0] ^ {LANES{round_key[0]}};
    end else begin : g_chain
      assign round_in = state_q[k-1];
    end

    // Constant per stage except where AES-128 and AES-256 differ (stages 10..14).
    if (k < NR_128) begin : g_mode_full
      assign mode = ROUND_FULL;
    end else if (k == NR_128) begin : g_mode_nr128
      assign mode = is256_q[k-1] ? ROUND_FULL : ROUND_FINAL;
    end else if (k < NR_256) begin : g_mode_mid
      assign mode = is256_q[k-1] ? ROUND_FULL : ROUND_PASS;
    end else begin : g_mode_nr256
      assign mode = is256_q[k-1] ? ROUND_FINAL : ROUND_PASS;
    end

    for (genvar l = 0; l < LANES; l++) begin : g_lane
      aes_round u_round (
          .mode     (mode),
          .state_in (round_in[128*l+:128]),
          .round_key(round_key[k]),
          .state_out(round_out[k][128*l+:128])
      );
    end
  end

  // ---- pipeline registers ---------------------------------------------------------------------
  // Only the valid bits are reset: the data registers are qualified by them, and leaving them
  // without reset keeps the reset net off ~2k flops per lane.
  always_ff @(posedge clk) begin
    if (rst) begin
      vld_q <= '0;
    end else if (en) begin
      vld_q <= {vld_q[LAST-1:0], in_valid};
    end
  end

  always_ff @(posedge clk) begin
    if (en) begin
      state_q[0] <= in_block;
      sa_q[0]    <= in_sa;
      tag_q[0]   <= in_tag;
      is256_q[1] <= rk0_is256;
      for (int k = 1; k <= LAST; k++) begin
        state_q[k] <= round_out[k];
        sa_q[k]    <= sa_q[k-1];
        tag_q[k]   <= tag_q[k-1];
      end
      for (int k = 2; k < LAST; k++) begin
        is256_q[k] <= is256_q[k-1];
      end
    end
  end

  assign out_valid = vld_q[LAST];
  assign out_sa    = sa_q[LAST];
  assign out_tag   = tag_q[LAST];
  assign out_block = state_q[LAST];
endmodule
