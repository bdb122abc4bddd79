// The two sources of SA table commands, the CSR mailbox and the descriptor loader, share the
// tables' one command executor each. This arbiter runs one command at a time across both
// tables, so a command's done/error goes back to the source that issued it and the CSR's
// READ result and key clearing only follow its own commands.
//
// The CSR side pulses `csr_start` (it never starts while `csr_busy`); a CSR command that finds
// the tables taken waits here, and its operands stay in the CSR registers (the host does not
// touch them while SA_CMD_STATUS.BUSY). The CSR goes first when both wait: it is the rare,
// latency-sensitive path (one host thread polling BUSY); the loader streams.
module esp_sa_cmd_arb
  import esp_pkg::*;
(
    input logic clk,
    input logic rst,

    // CSR mailbox
    input  logic                   csr_start,
    input  logic                   csr_dir_in,
    input  logic       [      2:0] csr_op,
    input  logic       [     15:0] csr_idx,
    input  rec_words_t             csr_words,
    input  logic       [    255:0] csr_key,
    output logic                   csr_busy,
    output logic                   csr_done,
    output logic                   csr_err,       // of the CSR's last command (a level)

    // descriptor loader
    input  logic                   ld_valid,
    output logic                   ld_ready,
    input  logic                   ld_dir_in,
    input  logic       [      2:0] ld_op,
    input  logic       [     15:0] ld_idx,
    input  rec_words_t             ld_words,
    input  logic       [    255:0] ld_key,
    output logic                   ld_done,
    output logic                   ld_err,

    // the two tables' mailbox ports (operands shared, start per table)
    output logic                   out_start,
    output logic                   in_start,
    output logic       [      2:0] mb_op,
    output logic       [     15:0] mb_idx,
    output rec_words_t             mb_words,
    output logic       [    255:0] mb_key,
    input  logic                   out_busy,
    input  logic                   in_busy,
    input  logic                   out_done,
    input  logic                   in_done,
    input  logic                   out_err,
    input  logic                   in_err
);
  typedef enum logic [1:0] {
    OWN_NONE,
    OWN_CSR,
    OWN_LD
  } owner_e;

  owner_e owner_q;
  logic dir_in_q;  // table running the current command
  logic csr_pend_q;  // a CSR command waits for the tables

  wire tables_idle = owner_q == OWN_NONE && !out_busy && !in_busy;
  wire csr_want = csr_pend_q || csr_start;
  wire grant_csr = tables_idle && csr_want;
  wire grant_ld = tables_idle && !csr_want && ld_valid;
  assign ld_ready = grant_ld;

  wire start_dir_in = grant_csr ? csr_dir_in : ld_dir_in;
  assign out_start = (grant_csr || grant_ld) && !start_dir_in;
  assign in_start = (grant_csr || grant_ld) && start_dir_in;
  assign mb_op = grant_csr ? csr_op : ld_op;
  assign mb_idx = grant_csr ? csr_idx : ld_idx;
  assign mb_words = grant_csr ? csr_words : ld_words;
  assign mb_key = grant_csr ? csr_key : ld_key;

  wire done = dir_in_q ? in_done : out_done;
  wire err = dir_in_q ? in_err : out_err;
  assign csr_done = owner_q == OWN_CSR && done;
  assign ld_done = owner_q == OWN_LD && done;
  assign ld_err = err;
  assign csr_busy = csr_pend_q || owner_q == OWN_CSR;

  always_ff @(posedge clk) begin
    if (rst) begin
      owner_q <= OWN_NONE;
      csr_pend_q <= 1'b0;
      dir_in_q <= 1'b0;
      csr_err <= 1'b0;
    end else begin
      // SA_CMD_STATUS.ERROR describes the CSR's own last command, not the loader's
      if (grant_csr) csr_err <= 1'b0;
      else if (csr_done) csr_err <= err;
      if (grant_csr) csr_pend_q <= 1'b0;
      else if (csr_start) csr_pend_q <= 1'b1;
      if (grant_csr || grant_ld) begin
        owner_q <= grant_csr ? OWN_CSR : OWN_LD;
        dir_in_q <= start_dir_in;
      end else if (done) begin
        owner_q <= OWN_NONE;
      end
    end
  end
endmodule
