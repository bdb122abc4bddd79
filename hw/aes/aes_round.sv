// One AES encryption round on one 128-bit state, purely combinational; the caller registers the
// result. Byte i of the state (FIPS-197 input order, column c = i/4, row r = i%4) sits in bits
// [127-8i -: 8], so a hex string printed by the standard reads left to right across the vector.
//
// `mode` exists because one key-agile pipeline serves AES-128 and AES-256 at a fixed latency:
//   ROUND_FULL   SubBytes, ShiftRows, MixColumns, AddRoundKey (rounds 1..Nr-1)
//   ROUND_FINAL  SubBytes, ShiftRows, AddRoundKey            (round Nr, no MixColumns)
//   ROUND_PASS   state unchanged                             (stages past Nr for AES-128)
// Passing the state through (instead of letting AES-128 blocks exit early) keeps every block's
// latency identical, so blocks never overtake each other and the output needs no arbitration.
module aes_round (
    input  logic [  1:0] mode,
    input  logic [127:0] state_in,
    input  logic [127:0] round_key,
    output logic [127:0] state_out
);
  localparam logic [1:0] ROUND_FULL = 2'd0;
  localparam logic [1:0] ROUND_FINAL = 2'd1;

  logic [127:0] sub_bytes;
  logic [127:0] shift_rows;
  logic [127:0] mix_columns;

  for (genvar i = 0; i < 16; i++) begin : g_sbox
    aes_sbox u_sbox (
        .in_byte (state_in[127-8*i-:8]),
        .out_byte(sub_bytes[127-8*i-:8])
    );
  end

  // ShiftRows rotates row r left by r columns: output byte (r, c) comes from (r, (c + r) mod 4).
  for (genvar c = 0; c < 4; c++) begin : g_shift_col
    for (genvar r = 0; r < 4; r++) begin : g_shift_row
      localparam int DST = 4 * c + r;
      localparam int SRC = 4 * ((c + r) % 4) + r;
      assign shift_rows[127-8*DST-:8] = sub_bytes[127-8*SRC-:8];
    end
  end

  // Multiplication by x in GF(2^8) modulo x^8 + x^4 + x^3 + x + 1.
  function automatic logic [7:0] xtime(input logic [7:0] b);
    return {b[6:0], 1'b0} ^ (b[7] ? 8'h1b : 8'h00);
  endfunction

  // MixColumns matrix rows (2 3 1 1), (1 2 3 1), (1 1 2 3), (3 1 1 2); 3*b = xtime(b) ^ b.
  function automatic logic [31:0] mix_column(input logic [31:0] col);
    logic [7:0] a0, a1, a2, a3;
    {a0, a1, a2, a3} = col;
    return {
      xtime(a0) ^ xtime(a1) ^ a1 ^ a2 ^ a3,
      a0 ^ xtime(a1) ^ xtime(a2) ^ a2 ^ a3,
      a0 ^ a1 ^ xtime(a2) ^ xtime(a3) ^ a3,
      xtime(a0) ^ a0 ^ a1 ^ a2 ^ xtime(a3)
    };
  endfunction

  for (genvar c = 0; c < 4; c++) begin : g_mix
    assign mix_columns[127-32*c-:32] = mix_column(shift_rows[127-32*c-:32]);
  end

  always_comb begin
    unique case (mode)
      ROUND_FULL: state_out = mix_columns ^ round_key;
      ROUND_FINAL: state_out = shift_rows ^ round_key;
      default: state_out = state_in;
    endcase
  end
endmodule
