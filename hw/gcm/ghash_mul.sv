// Multiplication in GF(2^128) as GCM defines it (NIST SP 800-38D section 6.3), combinational.
//
// GCM's bit order is reflected: the leftmost bit of a block (bit 7 of byte 0, here bit 127 of
// the vector) is the coefficient of x^0, and the field polynomial is x^128 + x^7 + x^2 + x + 1.
// Rather than the spec's bit-serial Algorithm 1 (a 128-step dependency chain), the product is
// formed as a carry-less multiply followed by a two-step reduction; both are XOR trees, so the
// depth is ~log2(128) AND/XOR levels plus a few for the reduction, which is what lets ghash_acc
// fold one block per clock at its feedback loop.
//
// Everything stays in GCM's reflected order: vector bit (W-1-k) holds the coefficient of x^k,
// so multiplying by x^k is a right shift by k. Working in that order directly needs no bit
// reversal of the operands or the result (wiring only in silicon, but 384 single-bit moves per
// multiply in a cycle-based simulator, which made GHASH the slowest part of the Verilated NIC).
//
// The no_inline_module pragma only affects Verilator: kept as its own module, `a` and `b` are
// evaluated once per clock instead of being re-derived inside every iteration of the loop.
module ghash_mul (
    input  logic [127:0] a,
    input  logic [127:0] b,
    output logic [127:0] y
);
  /* verilator no_inline_module */
  logic [254:0] product;  // bit 254-k: coefficient of x^k, k = 0 .. 254
  logic [126:0] high;  // coefficients of x^128 .. x^254 (bit 126-m: x^(128+m))
  logic [133:0] fold1;  // high / x^128 * (1 + x + x^2 + x^7), degree <= 133
  logic [12:0] fold2;  // the part of fold1 above x^127 folded once more (degree <= 12)

  // Carry-less product: a constant-bound loop that synthesis unrolls into an AND-XOR tree
  // (the `if` is the AND of each partial product with its coefficient bit of a).
  always_comb begin
    product = '0;
    for (int i = 0; i < 128; i++) begin
      if (a[127-i]) product = product ^ ({b, 127'b0} >> i);
    end
  end

  // x^128 == x^7 + x^2 + x + 1 (mod P). Folding the high half once leaves at most six bits above
  // x^127 (degree <= 133); folding those again lands below x^13, so two steps are exact.
  assign high = product[126:0];
  assign fold1 = {high, 7'b0} ^ {1'b0, high, 6'b0} ^ {2'b0, high, 5'b0} ^ {7'b0, high};
  assign fold2 = {fold1[5:0], 7'b0} ^ {1'b0, fold1[5:0], 6'b0} ^ {2'b0, fold1[5:0], 5'b0} ^
                 {7'b0, fold1[5:0]};
  assign y = product[254:127] ^ fold1[133:6] ^ {fold2, 115'b0};
endmodule
