// One direction's SA table: per-SA configuration and datapath state, the anti-replay bitmaps
// (inbound), and the mailbox executor that installs, stops, deletes, reads and updates SAs
// through the gcm_core's key-install and key-probe ports.
//
// Storage: RAM-shaped arrays (one write port; registered reads, as block RAM / 1R1W macros
// replicated per read port): port A serves the pipeline head, port B the tail (ingress
// re-checks the window and counts at the tail), port C the mailbox. A read port's output is
// the word at the address presented in the previous clock, as memory held it before that
// clock's write; ports re-read every clock, so a stable address sees a write one clock later.
// The pipelines present the slot a clock ahead of use (egress: the SA slot metadata while
// idle; ingress: the SPI as soon as the beat holding it arrives; tail: the next packet's slot
// while idle). No array has a reset: only the per-SA valid bits (flops) do, so after reset no
// SA is active whatever the RAMs hold, and DELETE zeroizes a slot by writing zeros through
// the write port (its readback then shows zeros).
//
// Write arbitration: the datapath writes the state of at most one SA per packet (dp_we) and
// always wins; the mailbox writes in a clock without a datapath write, and not in the clock
// right after a datapath write to its own slot (port C would still show the old word).
// Changing an SA that has packets in flight is the driver's error (install before steering;
// stop, drain, then delete).
module esp_sa_table
  import nicsec_regs_pkg::*;
  import esp_pkg::*;
#(
    parameter int NUM_SA = 64,
    parameter int WIN = 64,  // replay bitmap bits per SA (1 for the outbound table)
    localparam int SA_W = (NUM_SA > 1) ? $clog2(NUM_SA) : 1,
    localparam int WIN_W = (WIN > 1) ? $clog2(WIN) : 1
) (
    input logic clk,
    input logic rst,

    // read ports
    input  logic    [SA_W-1:0] a_idx,
    output sa_cfg_t            a_cfg,
    output sa_dyn_t            a_dyn,
    output logic    [ WIN-1:0] a_bitmap,
    input  logic    [SA_W-1:0] b_idx,
    output sa_cfg_t            b_cfg,
    output sa_dyn_t            b_dyn,
    output logic    [ WIN-1:0] b_bitmap,

    // datapath write
    input logic            dp_we,
    input logic [SA_W-1:0] dp_idx,
    input sa_dyn_t         dp_dyn,
    input logic [ WIN-1:0] dp_bitmap,

    // mailbox
    input  logic                           mb_start,
    input  logic       [              2:0] mb_op,
    input  logic       [             15:0] mb_idx,
    input  rec_words_t                     mb_words,
    input  logic       [            255:0] mb_key,
    output logic                           mb_busy,
    output logic                           mb_err,
    output logic                           mb_done,     // pulse: command finished
    output rec_words_t                     mb_rd_words, // READ result, valid with mb_done
    output logic       [PROBE_WORDS*32-1:0] mb_probe,

    // gcm_core key install and key probe
    output logic            inst_valid,
    input  logic            inst_ready,
    output logic [SA_W-1:0] inst_sa,
    output logic [   255:0] inst_key,
    output logic            inst_is256,
    output logic            inst_zeroize,
    input  logic            inst_done,
    output logic            dbg_req,
    output logic [SA_W-1:0] dbg_sa,
    input  logic            dbg_done,
    input  logic [   127:0] dbg_rk0,
    input  logic [   127:0] dbg_h
);
  sa_cfg_t cfg_mem[NUM_SA];
  sa_dyn_t dyn_mem[NUM_SA];
  logic [WIN-1:0] bitmap_mem[NUM_SA];
  logic [NUM_SA-1:0] active_q;

  // registered read ports A and B (`active` comes from the valid flops, read alongside)
  always_ff @(posedge clk) begin
    a_cfg <= cfg_mem[a_idx];
    a_cfg.active <= active_q[a_idx];
    a_dyn <= dyn_mem[a_idx];
    a_bitmap <= bitmap_mem[a_idx];
    b_cfg <= cfg_mem[b_idx];
    b_cfg.active <= active_q[b_idx];
    b_dyn <= dyn_mem[b_idx];
    b_bitmap <= bitmap_mem[b_idx];
  end

  typedef enum logic [2:0] {
    M_IDLE,
    M_KEY,
    M_KEYWAIT,
    M_WRITE,
    M_PROBE
  } mb_state_e;

  mb_state_e state;
  logic [2:0] op_q;
  logic [SA_W-1:0] idx_q;
  sa_cfg_t new_cfg;
  logic [255:0] key_q;
  logic [63:0] seq_q;

  // port C: the mailbox's slot (the incoming index while idle, so the word is there one clock
  // later when a command starts)
  sa_cfg_t rd_cfg;
  sa_dyn_t rd_dyn;
  logic [WIN-1:0] rd_bitmap;
  wire [SA_W-1:0] c_idx = (state == M_IDLE) ? SA_W'(mb_idx) : idx_q;
  always_ff @(posedge clk) begin
    rd_cfg <= cfg_mem[c_idx];
    rd_cfg.active <= active_q[c_idx];
    rd_dyn <= dyn_mem[c_idx];
    rd_bitmap <= bitmap_mem[c_idx];
  end
  // a datapath write to the mailbox's slot in the last clock: port C is one clock behind it
  logic dp_hit_q;
  always_ff @(posedge clk) dp_hit_q <= dp_we && dp_idx == idx_q;

  wire idx_ok = mb_idx < 16'(NUM_SA);
  wire op_ok = mb_op inside {3'(SA_OP_INSTALL), 3'(SA_OP_DELETE), 3'(SA_OP_READ),
                             3'(SA_OP_UPDATE_LIMITS), 3'(SA_OP_UPDATE_SEQ), 3'(SA_OP_STOP)};

  assign mb_busy = state != M_IDLE;
  assign inst_valid = state == M_KEY;
  assign inst_sa = idx_q;
  assign inst_key = key_q;
  assign inst_is256 = new_cfg.is256;
  assign inst_zeroize = op_q == 3'(SA_OP_DELETE);
  assign dbg_req = state == M_PROBE;
  assign dbg_sa = idx_q;

  // The window restarts empty at the new edge, the edge itself counted as seen (RFC 4303 3.4.3:
  // the first packet of a new SA carries SN 1, and 0 is never valid).
  /* verilator lint_off UNUSEDSIGNAL */
  function automatic logic [WIN-1:0] edge_bitmap(input logic [63:0] seq);
    logic [WIN-1:0] b;
    b = '0;
    b[WIN_W'(seq)] = 1'b1;
    return b;
  endfunction

  function automatic logic [63:0] seq_of(input sa_cfg_t c, input logic [63:0] w);
    logic [63:0] s;
    s = w;
    return c.esn ? s : {32'd0, s[31:0]};
  endfunction
  /* verilator lint_on UNUSEDSIGNAL */

  wire mb_write = state == M_WRITE && !dp_we && !dp_hit_q;

  always_ff @(posedge clk) begin
    if (rst) begin
      state <= M_IDLE;
      mb_err <= 1'b0;
      mb_done <= 1'b0;
    end else begin
      mb_done <= 1'b0;
      unique case (state)
        M_IDLE:
        if (mb_start) begin
          mb_err <= !(idx_ok && op_ok);
          if (!(idx_ok && op_ok)) mb_done <= 1'b1;
          else if (mb_op == 3'(SA_OP_INSTALL) || mb_op == 3'(SA_OP_DELETE)) state <= M_KEY;
          else if (mb_op == 3'(SA_OP_READ)) state <= M_PROBE;
          else state <= M_WRITE;
        end
        M_KEY: if (inst_ready) state <= M_KEYWAIT;
        M_KEYWAIT: if (inst_done) state <= M_WRITE;
        M_WRITE:
        if (mb_write) begin
          state   <= M_IDLE;
          mb_done <= 1'b1;
        end
        default:  // M_PROBE
        if (dbg_done) begin
          state   <= M_IDLE;
          mb_done <= 1'b1;
        end
      endcase
    end
  end

  always_ff @(posedge clk) begin
    if (state == M_IDLE && mb_start) begin
      op_q <= mb_op;
      idx_q <= SA_W'(mb_idx);
      new_cfg <= words_to_cfg(mb_words);
      key_q <= mb_key;
      seq_q <= word64(mb_words, W_SEQ);
    end else if (state == M_WRITE && mb_write) begin
      key_q <= '0;  // no copy of the key outlives the command
    end
    if (state == M_PROBE && dbg_done) begin
      // An active SA's key is never exposed; an idle or deleted one shows what memory holds.
      mb_probe <= active_q[idx_q] ? '0 : {dbg_rk0, dbg_h};
      mb_rd_words <= to_words(rd_cfg, rd_dyn);
    end
  end

  // ---- table writes ---------------------------------------------------------------------------
  sa_dyn_t cur_dyn, mb_dyn;
  sa_cfg_t mb_cfg;
  logic [WIN-1:0] mb_bitmap;
  always_comb begin
    cur_dyn = rd_dyn;
    mb_cfg = rd_cfg;
    mb_dyn = cur_dyn;
    mb_bitmap = rd_bitmap;
    unique case (op_q)
      3'(SA_OP_INSTALL): begin
        mb_cfg = new_cfg;
        mb_dyn = '0;
        mb_dyn.seq = seq_of(new_cfg, seq_q);
        mb_bitmap = edge_bitmap(mb_dyn.seq);
      end
      3'(SA_OP_DELETE): begin
        mb_cfg = '0;
        mb_dyn = '0;
        mb_bitmap = '0;
      end
      3'(SA_OP_UPDATE_LIMITS): begin
        mb_cfg.soft_pkts = new_cfg.soft_pkts;
        mb_cfg.hard_pkts = new_cfg.hard_pkts;
        mb_cfg.soft_bytes = new_cfg.soft_bytes;
        mb_cfg.hard_bytes = new_cfg.hard_bytes;
        mb_dyn.fired = '0;
      end
      3'(SA_OP_STOP): mb_cfg.active = 1'b0;  // only the valid flop is written
      default: begin  // UPDATE_SEQ
        mb_dyn.seq = seq_of(mb_cfg, seq_q);
        mb_bitmap = edge_bitmap(mb_dyn.seq);
      end
    endcase
  end

  always_ff @(posedge clk) begin
    if (rst) active_q <= '0;
    else if (!dp_we && mb_write) active_q[idx_q] <= mb_cfg.active;
  end

  // STOP leaves the arrays alone: the record and counters stay as the datapath left them.
  always_ff @(posedge clk) begin
    if (dp_we) begin
      dyn_mem[dp_idx] <= dp_dyn;
      bitmap_mem[dp_idx] <= dp_bitmap;
    end else if (mb_write && op_q != 3'(SA_OP_STOP)) begin
      cfg_mem[idx_q] <= mb_cfg;
      dyn_mem[idx_q] <= mb_dyn;
      bitmap_mem[idx_q] <= mb_bitmap;
    end
  end
endmodule
