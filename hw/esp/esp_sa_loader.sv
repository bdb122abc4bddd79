// SA descriptor loader: the engine's bulk command path. The host writes SA descriptors
// (SA_DESC layout of the register map, SA_DESC_SIZE octets) into a ring in its memory and rings
// a doorbell; the DMA side streams each descriptor in as SA_DESC_SIZE / 16 beats of 128 bits
// (octet 0 in tdata[127:120], tlast on the last beat). The loader checks it, runs it as one SA
// table command (the same executor the CSR mailbox uses, through esp_sa_cmd_arb) and posts a
// completion {tag, DESC_STATUS} for it, in order.
//
// Throughput: a descriptor's beats are collected while the previous command runs (the buffer is
// free as soon as the table has latched the command), so the rate is one descriptor per table
// command time (key expansion + H for INSTALL / DELETE), not per command plus transfer time.
// One command is outstanding at a time: completions need no reordering, and the host sees a
// status per descriptor.
//
// Key material: the descriptor buffer is cleared when its command is handed over (the table
// keeps its own copy only until the key memories are written) and when a bad descriptor is
// dropped, so no key outlives its command here.
module esp_sa_loader
  import nicsec_regs_pkg::*;
  import esp_pkg::*;
#(
    parameter int unsigned NUM_SA = 4096
) (
    input logic clk,
    input logic rst,

    // descriptors from the DMA side
    input  logic         s_valid,
    output logic         s_ready,
    input  logic [127:0] s_data,
    input  logic         s_last,

    // one SA table command at a time (cmd_valid held until cmd_ready)
    output logic                   cmd_valid,
    input  logic                   cmd_ready,
    output logic                   cmd_dir_in,
    output logic       [      2:0] cmd_op,
    output logic       [     15:0] cmd_idx,
    output rec_words_t             cmd_words,
    output logic       [    255:0] cmd_key,
    input  logic                   cmd_done,   // pulse: the command finished
    input  logic                   cmd_err,    // with cmd_done: the table refused it

    // completions, in descriptor order
    output logic        m_cpl_valid,
    input  logic        m_cpl_ready,
    output logic [31:0] m_cpl_tag,
    output logic [ 3:0] m_cpl_status
);
  localparam int BEATS = SA_DESC_SIZE / 16;
  localparam int BITS = SA_DESC_SIZE * 8;
  localparam int CNT_W = $clog2(BEATS + 1);

  // ---- collect ---------------------------------------------------------------------------------
  logic [BITS-1:0] desc_q;
  logic [CNT_W-1:0] beats_q;  // beats of the descriptor being collected (saturates at BEATS)
  logic full_q;  // a whole descriptor (or what came up to tlast) waits for the check stage
  logic framed_q;  // it was exactly BEATS beats

  // Field at octet offset `off`, `n` octets, big-endian.
  function automatic logic [255:0] octets(input logic [BITS-1:0] d, input int off, input int n);
    logic [255:0] v;
    v = '0;
    for (int i = 0; i < n; i++) v = {v[247:0], d[BITS-1-8*(off+i)-:8]};
    return v;
  endfunction

  assign s_ready = !full_q;
  wire take_beat = s_valid && s_ready;

  // ---- check and issue -------------------------------------------------------------------------
  wire [7:0] f_op = 8'(octets(desc_q, SA_DESC_OP, 1));
  wire [7:0] f_dir = 8'(octets(desc_q, SA_DESC_DIR, 1));
  wire [15:0] f_idx = 16'(octets(desc_q, SA_DESC_INDEX, 2));
  wire [31:0] f_tag = 32'(octets(desc_q, SA_DESC_TAG, 4));
  wire [63:0] f_rsvd = 64'(octets(desc_q, SA_DESC_RESERVED, 8));

  // READ is the only table command left out: its result would need a path back to the host.
  wire op_ok = f_op inside {8'(SA_OP_INSTALL), 8'(SA_OP_DELETE), 8'(SA_OP_UPDATE_LIMITS),
                            8'(SA_OP_UPDATE_SEQ), 8'(SA_OP_STOP)};
  wire fmt_ok = framed_q && f_dir <= 8'd1 && f_rsvd == '0;
  wire idx_ok = 32'(f_idx) < NUM_SA;
  wire [3:0] check_status = !fmt_ok ? 4'(DESC_STATUS_BAD_FORMAT)
                          : !op_ok  ? 4'(DESC_STATUS_BAD_OP)
                          : !idx_ok ? 4'(DESC_STATUS_BAD_INDEX)
                          : 4'(DESC_STATUS_OK);

  logic running_q;  // a command of ours is in the table
  logic [31:0] run_tag_q;
  wire cpl_free = !m_cpl_valid || m_cpl_ready;
  // The checked descriptor leaves the buffer: to the table, or straight to a completion.
  wire can_decide = full_q && !running_q && cpl_free;
  wire reject = can_decide && check_status != 4'(DESC_STATUS_OK);
  assign cmd_valid = can_decide && check_status == 4'(DESC_STATUS_OK);
  wire issue = cmd_valid && cmd_ready;

  assign cmd_dir_in = f_dir[0];
  assign cmd_op = f_op[2:0];
  assign cmd_idx = f_idx;
  assign cmd_key = octets(desc_q, SA_DESC_KEY, 32);
  always_comb begin
    cmd_words = '0;
    cmd_words[W_SPI] = 32'(octets(desc_q, SA_DESC_SPI, 4));
    cmd_words[W_SALT] = 32'(octets(desc_q, SA_DESC_SALT, 4));
    cmd_words[W_FLAGS] = 32'(octets(desc_q, SA_DESC_FLAGS, 4));
    cmd_words[W_SRC] = 32'(octets(desc_q, SA_DESC_SRC, 4));
    cmd_words[W_DST] = 32'(octets(desc_q, SA_DESC_DST, 4));
    cmd_words[W_PORTS] = 32'(octets(desc_q, SA_DESC_PORTS, 4));
    {cmd_words[W_SEQ+1], cmd_words[W_SEQ]} = 64'(octets(desc_q, SA_DESC_SEQ, 8));
    {cmd_words[W_SOFT_PKTS+1], cmd_words[W_SOFT_PKTS]} = 64'(octets(desc_q, SA_DESC_SOFT_PKTS, 8));
    {cmd_words[W_HARD_PKTS+1], cmd_words[W_HARD_PKTS]} = 64'(octets(desc_q, SA_DESC_HARD_PKTS, 8));
    {cmd_words[W_SOFT_BYTES+1], cmd_words[W_SOFT_BYTES]} =
        64'(octets(desc_q, SA_DESC_SOFT_BYTES, 8));
    {cmd_words[W_HARD_BYTES+1], cmd_words[W_HARD_BYTES]} =
        64'(octets(desc_q, SA_DESC_HARD_BYTES, 8));
  end

  always_ff @(posedge clk) begin
    if (rst) begin
      full_q <= 1'b0;
      framed_q <= 1'b0;
      beats_q <= '0;
      desc_q <= '0;
    end else if (take_beat) begin
      if (beats_q < CNT_W'(BEATS)) desc_q[BITS-1-128*beats_q-:128] <= s_data;
      beats_q <= s_last ? '0 : (beats_q < CNT_W'(BEATS) ? beats_q + 1'b1 : beats_q);
      if (s_last) begin
        full_q <= 1'b1;
        framed_q <= beats_q == CNT_W'(BEATS - 1);
      end
    end else if (issue || reject) begin
      full_q <= 1'b0;
      desc_q <= '0;  // the key leaves with the command
    end
  end

  // ---- completion ------------------------------------------------------------------------------
  always_ff @(posedge clk) begin
    if (rst) begin
      running_q <= 1'b0;
      m_cpl_valid <= 1'b0;
    end else begin
      if (m_cpl_valid && m_cpl_ready) m_cpl_valid <= 1'b0;
      if (issue) begin
        running_q <= 1'b1;
        run_tag_q <= f_tag;
      end else if (running_q && cmd_done) begin
        // cpl_free held when the command was issued and nothing else posts while it runs
        running_q <= 1'b0;
        m_cpl_valid <= 1'b1;
        m_cpl_tag <= run_tag_q;
        m_cpl_status <= cmd_err ? 4'(DESC_STATUS_REFUSED) : 4'(DESC_STATUS_OK);
      end else if (reject) begin
        m_cpl_valid <= 1'b1;
        m_cpl_tag <= f_tag;
        m_cpl_status <= check_status;
      end
    end
  end
endmodule
