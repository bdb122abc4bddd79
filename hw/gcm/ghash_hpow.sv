// Computes the GHASH key powers H, H^2 .. H^N at SA install, for an N-lane ghash_acc (which
// folds N blocks per clock with them). Iterative on purpose: installs are rare, so one
// ghash_mul and N-1 clocks (H^(k+1) = H^k * H) beat N-1 multipliers of area.
//
// start is accepted when !busy; `powers` (lane p = H^(p+1), the layout ghash_acc's h_powers
// expects) is complete when `done` pulses, N clocks after the accepting edge (N-1 multiply
// clocks, then the registered pulse), and holds until the next start. The caller writes the row into the per-SA H memory.
module ghash_hpow #(
    parameter int N = 4,
    localparam int IDX_W = (N > 1) ? $clog2(N) : 1
) (
    input logic clk,
    input logic rst,

    input  logic           start,
    input  logic [    127:0] h,
    output logic           busy,
    output logic           done,
    output logic [128*N-1:0] powers
);
  logic [127:0] power_q[N];
  logic [IDX_W-1:0] next_q;  // index of the power computed this clock
  logic [127:0] previous;
  logic [127:0] product;

  // power_q[next_q - 1] * H; a mux over the N registers feeds the single multiplier.
  always_comb begin
    previous = power_q[0];
    for (int p = 0; p < N; p++) begin
      if (IDX_W'(p + 1) == next_q) previous = power_q[p];
    end
  end

  ghash_mul u_mul (
      .a(previous),
      .b(power_q[0]),
      .y(product)
  );

  always_ff @(posedge clk) begin
    if (rst) begin
      busy <= 1'b0;
      done <= 1'b0;
    end else begin
      done <= 1'b0;
      if (!busy && start) begin
        busy <= N > 1;
        done <= N == 1;
      end else if (busy && next_q == IDX_W'(N - 1)) begin
        busy <= 1'b0;
        done <= 1'b1;
      end
    end
  end

  always_ff @(posedge clk) begin
    if (!busy && start) begin
      power_q[0] <= h;
      next_q <= IDX_W'(1);
    end else if (busy) begin
      power_q[next_q] <= product;
      next_q <= next_q + IDX_W'(1);
    end
  end

  for (genvar p = 0; p < N; p++) begin : g_out
    assign powers[128*p+:128] = power_q[p];
  end
endmodule
