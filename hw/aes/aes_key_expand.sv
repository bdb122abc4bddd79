// Iterative AES-128/256 key expansion (FIPS-197 section 5.2) that writes the round keys of one SA
// into aes_enc_pipe's per-stage round-key memories. It runs at SA install, not per block, so it
// spends one clock per round key (11 clocks for AES-128, 15 for AES-256) and needs only four
// S-boxes. Installing one SA does not disturb traffic on other SAs: the pipeline reads its RAMs
// through separate read ports.
//
// Key layout: key[255:128] holds the first 16 key bytes (byte 0 in bits 255:248); AES-128 uses
// only that half, AES-256 continues in key[127:0].
//
// zeroize: writes all-zero round keys instead of the expansion (SA delete); the key-size bit is
// written as given so the pipeline timing of a stray beat stays defined.
//
// Expansion in 128-bit steps. Registers hold cur = round key k (written this clock) and
// prev = round key k-1 (AES-256 needs both; AES-128 only cur). Round key k+1 is
//   AES-128: g(cur,  cur.w3, RotWord+Rcon[k+1])
//   AES-256: g(prev, cur.w3, RotWord+Rcon[(k+1)/2] if k+1 is even, SubWord only if odd)
// where g(base, t, ...) = {w0 = base.w0 ^ T(t), w1 = base.w1 ^ w0, w2 = base.w2 ^ w1,
// w3 = base.w3 ^ w2}. For AES-256, round key 1 is simply the second key half, which is why
// `prev` starts out holding it and cur/prev swap on the first step.
module aes_key_expand #(
    parameter int NUM_SA = 16,
    localparam int SA_W = (NUM_SA > 1) ? $clog2(NUM_SA) : 1
) (
    input logic clk,
    input logic rst,

    input  logic            start,    // accepted when !busy
    input  logic [SA_W-1:0] sa,
    input  logic [   255:0] key,
    input  logic            is256,
    input  logic            zeroize,
    output logic            busy,
    output logic            done,     // one-clock pulse after the last round key was written

    output logic            rk_we,
    output logic [SA_W-1:0] rk_sa,
    output logic [     3:0] rk_idx,
    output logic [   127:0] rk_data,
    output logic            rk_is256
);
  logic [127:0] cur_q, prev_q;
  logic [3:0] idx_q;
  logic [SA_W-1:0] sa_q;
  logic is256_q, zeroize_q;

  logic [3:0] last_idx;
  logic [3:0] next_idx;
  logic [127:0] next_key;
  logic [127:0] base;
  logic [31:0] sub_word;
  logic [31:0] temp;
  logic rotate;
  logic [3:0] rcon_idx;

  assign last_idx = is256_q ? 4'd14 : 4'd10;
  assign next_idx = idx_q + 4'd1;

  // Rcon[i] = x^(i-1) in GF(2^8), i = 1..10.
  function automatic logic [7:0] rcon(input logic [3:0] i);
    unique case (i)
      4'd1: return 8'h01;
      4'd2: return 8'h02;
      4'd3: return 8'h04;
      4'd4: return 8'h08;
      4'd5: return 8'h10;
      4'd6: return 8'h20;
      4'd7: return 8'h40;
      4'd8: return 8'h80;
      4'd9: return 8'h1b;
      4'd10: return 8'h36;
      default: return 8'h00;
    endcase
  endfunction

  for (genvar b = 0; b < 4; b++) begin : g_sbox
    aes_sbox u_sbox (
        .in_byte (cur_q[31-8*b-:8]),
        .out_byte(sub_word[31-8*b-:8])
    );
  end

  assign rotate = is256_q ? idx_q[0] : 1'b1;  // AES-256: k+1 even <=> k odd
  assign rcon_idx = is256_q ? 4'(next_idx[3:1]) : next_idx;
  // SubWord(RotWord(t)) == RotWord(SubWord(t)): rotate after the S-boxes so one set serves both.
  assign temp = rotate ? ({sub_word[23:0], sub_word[31:24]} ^ {rcon(rcon_idx), 24'h0}) : sub_word;
  assign base = is256_q ? prev_q : cur_q;

  always_comb begin
    next_key[127:96] = base[127:96] ^ temp;
    next_key[95:64]  = base[95:64] ^ next_key[127:96];
    next_key[63:32]  = base[63:32] ^ next_key[95:64];
    next_key[31:0]   = base[31:0] ^ next_key[63:32];
  end

  always_ff @(posedge clk) begin
    if (rst) begin
      busy <= 1'b0;
      done <= 1'b0;
    end else begin
      done <= busy && idx_q == last_idx;
      if (!busy && start) begin
        busy <= 1'b1;
      end else if (busy && idx_q == last_idx) begin
        busy <= 1'b0;
      end
    end
  end

  always_ff @(posedge clk) begin
    if (!busy && start) begin
      cur_q     <= key[255:128];
      prev_q    <= key[127:0];
      idx_q     <= 4'd0;
      sa_q      <= sa;
      is256_q   <= is256;
      zeroize_q <= zeroize;
    end else if (busy) begin
      cur_q  <= (is256_q && idx_q == 4'd0) ? prev_q : next_key;
      prev_q <= cur_q;
      idx_q  <= next_idx;
    end
  end

  assign rk_we    = busy;
  assign rk_sa    = sa_q;
  assign rk_idx   = idx_q;
  assign rk_data  = zeroize_q ? 128'h0 : cur_q;
  assign rk_is256 = is256_q;
endmodule
