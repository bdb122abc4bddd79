// The AES block as the rest of the engine sees it: an SA-install port (aes_key_expand) feeding
// the round-key memories of a key-agile aes_enc_pipe. One instance serves LANES blocks per clock.
//
// Install: present inst_valid with the SA, key and size; it is taken when inst_ready is high,
// and inst_done pulses once every round key is in memory (12 clocks for AES-128, 16 for
// AES-256). The datapath keeps running meanwhile; only beats for the SA being installed must
// wait for inst_done. See aes_enc_pipe for the datapath handshake and the 15-clock latency.
module aes_core #(
    parameter int LANES = 1,
    parameter int NUM_SA = 16,
    parameter int TAG_W = 8,
    localparam int SA_W = (NUM_SA > 1) ? $clog2(NUM_SA) : 1,
    localparam int DATA_W = 128 * LANES
) (
    input logic clk,
    input logic rst,

    input  logic            inst_valid,
    output logic            inst_ready,
    input  logic [SA_W-1:0] inst_sa,
    input  logic [   255:0] inst_key,
    input  logic            inst_is256,
    input  logic            inst_zeroize,
    output logic            inst_done,

    input  logic              in_valid,
    output logic              in_ready,
    input  logic [  SA_W-1:0] in_sa,
    input  logic [ TAG_W-1:0] in_tag,
    input  logic [DATA_W-1:0] in_block,

    output logic              out_valid,
    input  logic              out_ready,
    output logic [  SA_W-1:0] out_sa,
    output logic [ TAG_W-1:0] out_tag,
    output logic [DATA_W-1:0] out_block,

    // key probe (aes_enc_pipe): round key 0 of dbg_sa, read between beats
    input  logic            dbg_re,
    input  logic [SA_W-1:0] dbg_sa,
    output logic [   127:0] dbg_rk0,
    output logic            dbg_rk0_valid
);
  logic            expand_busy;
  logic            rk_we;
  logic [SA_W-1:0] rk_sa;
  logic [     3:0] rk_idx;
  logic [   127:0] rk_data;
  logic            rk_is256;

  assign inst_ready = ~expand_busy;

  aes_key_expand #(
      .NUM_SA(NUM_SA)
  ) u_expand (
      .clk     (clk),
      .rst     (rst),
      .start   (inst_valid),
      .sa      (inst_sa),
      .key     (inst_key),
      .is256   (inst_is256),
      .zeroize (inst_zeroize),
      .busy    (expand_busy),
      .done    (inst_done),
      .rk_we   (rk_we),
      .rk_sa   (rk_sa),
      .rk_idx  (rk_idx),
      .rk_data (rk_data),
      .rk_is256(rk_is256)
  );

  aes_enc_pipe #(
      .LANES (LANES),
      .NUM_SA(NUM_SA),
      .TAG_W (TAG_W)
  ) u_pipe (
      .clk      (clk),
      .rst      (rst),
      .rk_we    (rk_we),
      .rk_sa    (rk_sa),
      .rk_idx   (rk_idx),
      .rk_data  (rk_data),
      .rk_is256 (rk_is256),
      .in_valid (in_valid),
      .in_ready (in_ready),
      .in_sa    (in_sa),
      .in_tag   (in_tag),
      .in_block (in_block),
      .out_valid(out_valid),
      .out_ready(out_ready),
      .out_sa   (out_sa),
      .out_tag  (out_tag),
      .out_block(out_block),
      .dbg_re   (dbg_re),
      .dbg_sa   (dbg_sa),
      .dbg_rk0  (dbg_rk0),
      .dbg_rk0_valid(dbg_rk0_valid)
  );
endmodule
