// Multiplication in GF(2^128) as GCM defines it (NIST SP 800-38D section 6.3), combinational.
//
// GCM's bit order is reflected: the leftmost bit of a block (bit 7 of byte 0, here bit 127 of
// the vector) is the coefficient of x^0, and the field polynomial is x^128 + x^7 + x^2 + x + 1.
// Rather than the spec's bit-serial Algorithm 1 (a 128-step dependency chain), the product is
// formed as a carry-less multiply in natural order followed by a two-step reduction; both are
// XOR trees, so the depth is ~log2(128) AND/XOR levels plus a few for the reduction, which is
// what lets ghash_acc fold one block per clock at its feedback loop.
module ghash_mul (
    input  logic [127:0] a,
    input  logic [127:0] b,
    output logic [127:0] y
);
  logic [127:0] a_nat, b_nat;  // natural order: bit i = coefficient of x^i
  logic [254:0] product;
  logic [126:0] high;  // coefficients of x^128 .. x^254
  logic [133:0] fold1;  // high * (x^7 + x^2 + x + 1), degree <= 133
  logic [12:0] fold2;  // the part of fold1 above x^127 folded once more (degree <= 12)
  logic [127:0] reduced;

  always_comb begin
    for (int i = 0; i < 128; i++) begin
      a_nat[i] = a[127-i];
      b_nat[i] = b[127-i];
    end
  end

  // Carry-less product: a constant-bound loop that synthesis unrolls into an AND-XOR tree.
  always_comb begin
    product = '0;
    for (int i = 0; i < 128; i++) begin
      product = product ^ (({127'b0, b_nat} << i) & {255{a_nat[i]}});
    end
  end

  // x^128 == x^7 + x^2 + x + 1 (mod P). Folding the high half once leaves at most six bits above
  // x^127 (degree <= 133); folding those again lands below x^13, so two steps are exact.
  assign high = product[254:128];
  assign fold1 = {7'b0, high} ^ {6'b0, high, 1'b0} ^ {5'b0, high, 2'b0} ^ {high, 7'b0};
  assign fold2 = {7'b0, fold1[133:128]} ^ {6'b0, fold1[133:128], 1'b0} ^
                 {5'b0, fold1[133:128], 2'b0} ^ {fold1[133:128], 7'b0};
  assign reduced = product[127:0] ^ fold1[127:0] ^ {115'b0, fold2};

  always_comb begin
    for (int i = 0; i < 128; i++) y[127-i] = reduced[i];
  end
endmodule
