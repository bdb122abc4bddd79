// TX steering table: packet offload's "which SA encrypts this plaintext packet", in front of
// esp_egress.
//
// A host TX packet either names its SA slot (crypto offload: s_lookup = 0, s_sa as before) or
// asks for a lookup (s_lookup = 1): the table matches the packet's IPv4/IPv6 source and
// destination (prefix), protocol and source/destination ports against DEPTH entries at once;
// the lowest matching index wins (priority = index, software orders the table). The entry's
// action then sends the packet to egress with the entry's SA slot (PROTECT), or leaves it to
// the NIC's plain TX path (BYPASS, completion STEER_BYPASS), or drops it (DROP, STEER_DROP).
// No match: completion STEER_BYPASS with SA 16'hffff, the packet goes out unchanged. A packet that does not go to
// egress is consumed here; the NIC sends a bypassed one from its TX buffer, which the host
// keeps until the completion, so no copy of it crosses the engine.
//
// Pipeline (one packet per max(beats, 1) clocks at one beat per clock, no bubble between
// packets; a 64-octet packet is 4 beats):
//   capture  the first 4 beats (64 octets: IPv4 with any options + ports, IPv6 fixed header +
//            ports) are copied aside while every beat enters the data FIFO
//   p1       header snapshot taken at the 4th (or last) beat
//   p2       parsed key: family, addresses, protocol, ports (when the packet has them)
//   p3       DEPTH parallel matches (registered hit vector) + snapshot of each entry's action
//   p4       priority encoder → decision FIFO; the data FIFO's head packet leaves with its
//            decision (egress or discard) as soon as the decision is there
// Latency: 4 clocks after the header beats; the BUF_LOG2 data FIFO covers it, so a 64-octet
// packet every 4 clocks (and longer packets at a beat per clock) pass without stall.
// Depth/timing: p3 is DEPTH 2x128-bit masked compares + 4 16-bit range compares per entry, p4
// a DEPTH-wide priority encoder (log2 DEPTH levels); at 64..256 entries both fit one clock at
// 250 MHz-class timing, beyond that the encoder would be split over two stages or the table
// moved into a TCAM / hashed exact-match front end.
//
// Completions: packets leave in order; those sent to egress get egress's completion, the others
// a local one; an order FIFO (ORDER_LOG2) puts both into one in-order stream. c_sa: the SA slot
// (egress), the matching entry's index (STEER_BYPASS / STEER_DROP) or 16'hffff (no match).
//
// Registers (window STEER_* of the CSR map): staging registers for one entry; a STEER_CMD write
// runs WRITE (staging → entry STEER_INDEX), READ (entry → staging) or DELETE (entry zeroed) in
// that clock. An entry changes in one clock, so a lookup sees it wholly old or wholly new.
module esp_tx_steer
  import nicsec_regs_pkg::*;
#(
    parameter int unsigned DEPTH = 64,
    parameter int unsigned BUF_LOG2 = 5,
    parameter int unsigned ORDER_LOG2 = 6,
    localparam int IDX_W = DEPTH > 1 ? $clog2(DEPTH) : 1
) (
    input logic clk,
    input logic rst,
    input logic enable,

    // register window (word addresses; writes merged with the byte mask)
    input  logic                  reg_we,
    input  logic [CSR_ADDR_W-1:0] reg_waddr,
    input  logic [          31:0] reg_wdata,
    input  logic [          31:0] reg_wmask,
    input  logic [CSR_ADDR_W-1:0] reg_raddr,
    output logic [          31:0] reg_rdata,

    // host TX: SA slot, length and lookup request with the first beat
    input  logic         s_valid,
    output logic         s_ready,
    input  logic [127:0] s_data,
    input  logic         s_last,
    input  logic [ 15:0] s_sa,
    input  logic [ 15:0] s_len,
    input  logic         s_lookup,

    // to esp_egress
    output logic         m_valid,
    input  logic         m_ready,
    output logic [127:0] m_data,
    output logic         m_last,
    output logic [ 15:0] m_sa,
    output logic [ 15:0] m_len,

    // esp_egress completions
    input  logic        e_valid,
    output logic        e_ready,
    input  logic [15:0] e_sa,
    input  logic [ 3:0] e_code,

    // all TX completions, in packet order
    output logic        c_valid,
    input  logic        c_ready,
    output logic [15:0] c_sa,
    output logic [ 3:0] c_code
);
  localparam int BUF = 1 << BUF_LOG2;
  localparam int ORDER = 1 << ORDER_LOG2;
  localparam int HDR_BEATS = 4;
  localparam logic [15:0] NO_ENTRY = 16'hffff;
  localparam logic [7:0] PROTO_TCP = 8'd6, PROTO_UDP = 8'd17, PROTO_SCTP = 8'd132;

  typedef struct packed {
    logic         valid;
    logic         v6;
    logic         proto_any;
    logic [1:0]   action;
    logic [7:0]   proto;
    logic [7:0]   src_plen;
    logic [7:0]   dst_plen;
    logic [15:0]  sa;
    logic [15:0]  sport_lo, sport_hi, dport_lo, dport_hi;
    logic [127:0] src, dst;  // IPv4: the address in bits 127:96
  } entry_t;

  // What matching needs besides the entry, derived once when the entry is written.
  typedef struct packed {
    logic [127:0] src_mask, dst_mask;
    logic         ports_any;
  } derived_t;

  typedef struct packed {
    logic         ok;        // an IPv4 / IPv6 header the length covers
    logic         v6;
    logic         has_ports; // TCP / UDP / SCTP, first fragment, ports inside the packet
    logic [7:0]   proto;
    logic [15:0]  sport, dport;
    logic [127:0] src, dst;
  } key_t;

  typedef struct packed {
    logic        lookup;
    logic [15:0] sa;
    logic [15:0] len;
  } meta_t;

  typedef struct packed {
    logic        local_done;  // consumed here: completion from this module, not egress
    logic [3:0]  code;
    logic [15:0] sa;
    logic [15:0] len;
  } decision_t;

  // ---- the table and its registers --------------------------------------------------------
  entry_t   table_q  [DEPTH];
  derived_t derived_q[DEPTH];
  entry_t   staging_q;
  logic [15:0] index_q;
  logic [31:0] cmd_q;
  logic        error_q;

  function automatic logic [127:0] prefix_mask(input logic [7:0] plen);
    return plen == 8'd0 ? 128'h0 : ~128'h0 << (8'd128 - plen);
  endfunction

  // The prefix length a match uses: at most the family's address width.
  function automatic logic [7:0] clamp_plen(input logic v6, input logic [7:0] plen);
    logic [7:0] limit = v6 ? 8'd128 : 8'd32;
    return plen > limit ? limit : plen;
  endfunction

  function automatic entry_t normalized(input entry_t e);
    entry_t n = e;
    n.src_plen = clamp_plen(e.v6, e.src_plen);
    n.dst_plen = clamp_plen(e.v6, e.dst_plen);
    return n;
  endfunction

  // Functions over whole records (entries, the header) use only some of their fields.
  /* verilator lint_off UNUSEDSIGNAL */
  function automatic derived_t derive(input entry_t e);
    derived_t d;
    d.src_mask = prefix_mask(e.src_plen);
    d.dst_mask = prefix_mask(e.dst_plen);
    d.ports_any = e.sport_lo == 16'h0 && e.sport_hi == 16'hffff && e.dport_lo == 16'h0 &&
                  e.dport_hi == 16'hffff;
    return d;
  endfunction
  /* verilator lint_on UNUSEDSIGNAL */

  function automatic logic [31:0] merge(input logic [31:0] old, input logic [31:0] data,
                                        input logic [31:0] mask);
    return (old & ~mask) | (data & mask);
  endfunction

  wire [31:0] ctrl_word = (32'(staging_q.valid) << STEER_CTRL_VALID_LSB)
                        | (32'(staging_q.v6) << STEER_CTRL_IPV6_LSB)
                        | (32'(staging_q.proto_any) << STEER_CTRL_PROTO_ANY_LSB)
                        | (32'(staging_q.action) << STEER_CTRL_ACTION_LSB)
                        | (32'(staging_q.proto) << STEER_CTRL_PROTO_LSB)
                        | (32'(staging_q.src_plen) << STEER_CTRL_SRC_PLEN_LSB)
                        | (32'(staging_q.dst_plen) << STEER_CTRL_DST_PLEN_LSB);

  function automatic entry_t with_ctrl(input entry_t e, input logic [31:0] w);
    entry_t n = e;
    n.valid = w[STEER_CTRL_VALID_LSB];
    n.v6 = w[STEER_CTRL_IPV6_LSB];
    n.proto_any = w[STEER_CTRL_PROTO_ANY_LSB];
    n.action = w[STEER_CTRL_ACTION_LSB+:2];
    n.proto = w[STEER_CTRL_PROTO_LSB+:8];
    n.src_plen = w[STEER_CTRL_SRC_PLEN_LSB+:8];
    n.dst_plen = w[STEER_CTRL_DST_PLEN_LSB+:8];
    return n;
  endfunction

  // Address word i of 4: word 0 holds octets 0..3 (bits 127:96).
  function automatic logic [127:0] with_word(input logic [127:0] a, input logic [1:0] i,
                                             input logic [31:0] w);
    logic [127:0] n = a;
    n[127-32*i-:32] = w;
    return n;
  endfunction

  /* verilator lint_off UNUSEDSIGNAL */
  wire [CSR_ADDR_W-1:0] src_off = reg_waddr - REG_STEER_SRC0;
  wire [CSR_ADDR_W-1:0] dst_off = reg_waddr - REG_STEER_DST0;
  wire [CSR_ADDR_W-1:0] rsrc_off = reg_raddr - REG_STEER_SRC0;
  wire [CSR_ADDR_W-1:0] rdst_off = reg_raddr - REG_STEER_DST0;
  /* verilator lint_on UNUSEDSIGNAL */
  wire in_src = reg_waddr >= REG_STEER_SRC0 && reg_waddr <= REG_STEER_SRC3;
  wire in_dst = reg_waddr >= REG_STEER_DST0 && reg_waddr <= REG_STEER_DST3;
  wire [31:0] cmd_next = merge(cmd_q, reg_wdata, reg_wmask);
  wire [2:0] cmd_op = cmd_next[STEER_CMD_OP_LSB+:3];
  wire cmd_go = reg_we && reg_waddr == REG_STEER_CMD;
  wire index_ok = index_q < 16'(DEPTH);
  wire [IDX_W-1:0] cmd_idx = IDX_W'(index_q);

  // Staging registers (software writes, READ loads).
  always_ff @(posedge clk) begin
    if (rst) begin
      staging_q <= '0;
      index_q <= '0;
      cmd_q <= '0;
      error_q <= 1'b0;
    end else if (reg_we) begin
      case (reg_waddr)
        REG_STEER_INDEX: index_q <= 16'(merge(32'(index_q), reg_wdata, reg_wmask));
        REG_STEER_CTRL: staging_q <= with_ctrl(staging_q, merge(ctrl_word, reg_wdata, reg_wmask));
        REG_STEER_SA: staging_q.sa <= 16'(merge(32'(staging_q.sa), reg_wdata, reg_wmask));
        REG_STEER_SPORT:
        {staging_q.sport_hi, staging_q.sport_lo} <=
            merge({staging_q.sport_hi, staging_q.sport_lo}, reg_wdata, reg_wmask);
        REG_STEER_DPORT:
        {staging_q.dport_hi, staging_q.dport_lo} <=
            merge({staging_q.dport_hi, staging_q.dport_lo}, reg_wdata, reg_wmask);
        REG_STEER_CMD: begin
          cmd_q <= cmd_next;
          error_q <= !index_ok || !(cmd_op == 3'(STEER_OP_WRITE) || cmd_op == 3'(STEER_OP_READ)
                                    || cmd_op == 3'(STEER_OP_DELETE));
          if (index_ok && cmd_op == 3'(STEER_OP_READ)) staging_q <= table_q[cmd_idx];
        end
        default: begin
          if (in_src)
            staging_q.src <= with_word(staging_q.src, src_off[3:2],
                merge(staging_q.src[127-32*src_off[3:2]-:32], reg_wdata, reg_wmask));
          if (in_dst)
            staging_q.dst <= with_word(staging_q.dst, dst_off[3:2],
                merge(staging_q.dst[127-32*dst_off[3:2]-:32], reg_wdata, reg_wmask));
        end
      endcase
    end
  end

  // The table: one entry changes per command.
  always_ff @(posedge clk) begin
    if (rst) begin
      for (int i = 0; i < DEPTH; i++) begin
        table_q[i] <= '0;
        derived_q[i] <= '0;
      end
    end else if (cmd_go && index_ok && cmd_op == 3'(STEER_OP_WRITE)) begin
      table_q[cmd_idx] <= normalized(staging_q);
      derived_q[cmd_idx] <= derive(normalized(staging_q));
    end else if (cmd_go && index_ok && cmd_op == 3'(STEER_OP_DELETE)) begin
      table_q[cmd_idx] <= '0;
      derived_q[cmd_idx] <= '0;
    end
  end

  always_comb begin
    case (reg_raddr)
      REG_STEER_INDEX: reg_rdata = 32'(index_q);
      REG_STEER_CMD: reg_rdata = cmd_q;
      REG_STEER_STATUS:
      reg_rdata = (32'(error_q) << STEER_STATUS_ERROR_LSB)
                | (32'(DEPTH) << STEER_STATUS_DEPTH_LSB);
      REG_STEER_CTRL: reg_rdata = ctrl_word;
      REG_STEER_SA: reg_rdata = 32'(staging_q.sa);
      REG_STEER_SPORT: reg_rdata = {staging_q.sport_hi, staging_q.sport_lo};
      REG_STEER_DPORT: reg_rdata = {staging_q.dport_hi, staging_q.dport_lo};
      default: begin
        reg_rdata = 32'h0;
        if (reg_raddr >= REG_STEER_SRC0 && reg_raddr <= REG_STEER_SRC3)
          reg_rdata = staging_q.src[127-32*rsrc_off[3:2]-:32];
        if (reg_raddr >= REG_STEER_DST0 && reg_raddr <= REG_STEER_DST3)
          reg_rdata = staging_q.dst[127-32*rdst_off[3:2]-:32];
      end
    endcase
  end

  // ---- data FIFO and header capture -------------------------------------------------------
  logic [127:0] buf_data[BUF];
  logic         buf_last[BUF];
  logic [BUF_LOG2-1:0] buf_wr_q, buf_rd_q;
  logic [BUF_LOG2:0] buf_count_q;

  logic first_q, emitted_q;  // next beat starts a packet; this packet's header went to p1
  logic [1:0] beat_q;  // index of the next beat while inside the header window
  logic [HDR_BEATS-1:0][127:0] cap_q;  // cap_q[i] = beat i
  meta_t meta_q;

  assign s_ready = enable && buf_count_q != (BUF_LOG2 + 1)'(BUF);
  wire s_fire = s_valid && s_ready;
  wire [1:0] beat_idx = first_q ? 2'd0 : beat_q;
  wire meta_t meta_now = first_q ? '{lookup: s_lookup, sa: s_sa, len: s_len} : meta_q;
  wire emit = s_fire && !emitted_q && (beat_idx == 2'(HDR_BEATS - 1) || s_last);

  logic [HDR_BEATS-1:0][127:0] hdr_now;
  always_comb begin
    hdr_now = first_q ? '0 : cap_q;
    hdr_now[beat_idx] = s_data;
  end

  always_ff @(posedge clk) begin
    if (rst) begin
      first_q <= 1'b1;
      emitted_q <= 1'b0;
      beat_q <= '0;
      buf_wr_q <= '0;
    end else if (s_fire) begin
      buf_wr_q <= buf_wr_q + 1'b1;
      first_q <= s_last;
      emitted_q <= !s_last && (emitted_q || emit);
      if (!emitted_q) beat_q <= beat_idx + 2'd1;
    end
  end

  always_ff @(posedge clk) begin
    if (s_fire) begin
      buf_data[buf_wr_q] <= s_data;
      buf_last[buf_wr_q] <= s_last;
      cap_q <= hdr_now;
      meta_q <= meta_now;
    end
  end

  // ---- p1: header snapshot; p2: key --------------------------------------------------------
  logic p1_valid, p2_valid, p3_valid;
  logic [HDR_BEATS*128-1:0] p1_hdr;
  meta_t p1_meta, p2_meta, p3_meta;
  key_t p2_key;

  always_ff @(posedge clk) begin
    if (rst) p1_valid <= 1'b0;
    else p1_valid <= emit;
    if (emit) begin
      for (int i = 0; i < HDR_BEATS; i++) p1_hdr[128*(HDR_BEATS-i)-1-:128] <= hdr_now[i];
      p1_meta <= meta_now;
    end
  end

  function automatic logic has_ports(input logic [7:0] proto);
    return proto == PROTO_TCP || proto == PROTO_UDP || proto == PROTO_SCTP;
  endfunction

  // Octet n of the captured header (octet 0 in the top bits).
  function automatic logic [7:0] octet(input logic [HDR_BEATS*128-1:0] h, input int n);
    return h[HDR_BEATS*128-1-8*n-:8];
  endfunction

  /* verilator lint_off UNUSEDSIGNAL */
  function automatic key_t parse(input logic [HDR_BEATS*128-1:0] h, input logic [15:0] len);
    key_t k = '0;
    logic [7:0] vihl = octet(h, 0), frag_hi = octet(h, 6);
    logic [5:0] l4;  // transport header offset: at most 60, its ports end inside the capture
    if (vihl[7:4] == 4'd4) begin
      l4 = {vihl[3:0], 2'b00};
      k.ok = vihl[3:0] >= 4'd5 && len >= 16'(l4);
      k.proto = octet(h, 9);
      k.src[127:96] = h[HDR_BEATS*128-1-8*12-:32];
      k.dst[127:96] = h[HDR_BEATS*128-1-8*16-:32];
      // a later fragment carries no transport header
      k.has_ports = k.ok && {frag_hi[4:0], octet(h, 7)} == 13'h0;
    end else begin
      l4 = 6'd40;
      k.ok = vihl[7:4] == 4'd6 && len >= 16'd40;
      k.v6 = 1'b1;
      k.proto = octet(h, 6);
      k.src = h[HDR_BEATS*128-1-8*8-:128];
      k.dst = h[HDR_BEATS*128-1-8*24-:128];
      k.has_ports = k.ok;
    end
    k.has_ports = k.has_ports && has_ports(k.proto) && len >= 16'(l4) + 16'd4;
    k.sport = h[HDR_BEATS*128-1-8*l4-:16];
    k.dport = h[HDR_BEATS*128-1-8*(32'(l4)+2)-:16];
    return k;
  endfunction

  always_ff @(posedge clk) begin
    if (rst) p2_valid <= 1'b0;
    else p2_valid <= p1_valid;
    if (p1_valid) begin
      p2_key <= parse(p1_hdr, p1_meta.len);
      p2_meta <= p1_meta;
    end
  end

  // ---- p3: parallel match ------------------------------------------------------------------
  function automatic logic entry_hit(input entry_t e, input derived_t d, input key_t k);
    logic addr_ok = ((k.src ^ e.src) & d.src_mask) == '0 && ((k.dst ^ e.dst) & d.dst_mask) == '0;
    logic proto_ok = e.proto_any || e.proto == k.proto;
    logic ports_ok = d.ports_any || (k.has_ports && k.sport >= e.sport_lo &&
                                     k.sport <= e.sport_hi && k.dport >= e.dport_lo &&
                                     k.dport <= e.dport_hi);
    return e.valid && k.ok && e.v6 == k.v6 && addr_ok && proto_ok && ports_ok;
  endfunction
  /* verilator lint_on UNUSEDSIGNAL */

  logic [DEPTH-1:0] p3_hit;
  logic [1:0] p3_action[DEPTH];  // the entries as they were when they matched
  logic [15:0] p3_sa[DEPTH];

  always_ff @(posedge clk) begin
    if (rst) p3_valid <= 1'b0;
    else p3_valid <= p2_valid;
    if (p2_valid) begin
      for (int i = 0; i < DEPTH; i++) begin
        p3_hit[i] <= entry_hit(table_q[i], derived_q[i], p2_key);
        p3_action[i] <= table_q[i].action;
        p3_sa[i] <= table_q[i].sa;
      end
      p3_meta <= p2_meta;
    end
  end

  // ---- p4: priority encoder → decision FIFO ------------------------------------------------
  logic found;
  logic [IDX_W-1:0] winner;
  always_comb begin
    found = 1'b0;
    winner = '0;
    for (int i = DEPTH - 1; i >= 0; i--)
      if (p3_hit[i]) begin
        found = 1'b1;
        winner = IDX_W'(i);
      end
  end

  decision_t p4_decision;
  always_comb begin
    p4_decision = '{local_done: 1'b0, code: 4'(PKT_STATUS_OK), sa: p3_meta.sa, len: p3_meta.len};
    if (p3_meta.lookup && !found) begin
      p4_decision.local_done = 1'b1;
      p4_decision.code = 4'(PKT_STATUS_STEER_BYPASS);
      p4_decision.sa = NO_ENTRY;
    end else if (p3_meta.lookup) begin
      p4_decision.sa = p3_sa[winner];
      if (p3_action[winner] != 2'(STEER_ACTION_PROTECT)) begin
        p4_decision.local_done = 1'b1;
        p4_decision.code = p3_action[winner] == 2'(STEER_ACTION_DROP) ?
            4'(PKT_STATUS_STEER_DROP) : 4'(PKT_STATUS_STEER_BYPASS);
        p4_decision.sa = 16'(winner);
      end
    end
  end

  // At most one decision per packet whose first beat is still in the data FIFO: BUF entries
  // never overflow, so the match pipeline needs no back-pressure.
  decision_t dec_fifo[BUF];
  logic [BUF_LOG2-1:0] dec_wr_q, dec_rd_q;
  logic [BUF_LOG2:0] dec_count_q;
  always_ff @(posedge clk) begin
    if (rst) dec_wr_q <= '0;
    else if (p3_valid) dec_wr_q <= dec_wr_q + 1'b1;
    if (p3_valid) dec_fifo[dec_wr_q] <= p4_decision;
  end

  // ---- output: the head packet leaves with its decision ------------------------------------
  typedef struct packed {
    logic        local_done;
    logic [3:0]  code;
    logic [15:0] sa;
  } order_t;
  order_t order_fifo[ORDER];
  logic [ORDER_LOG2-1:0] ord_wr_q, ord_rd_q;
  logic [ORDER_LOG2:0] ord_count_q;

  logic out_active_q;
  decision_t out_q;
  wire decision_t cur = out_active_q ? out_q : dec_fifo[dec_rd_q];
  wire order_room = ord_count_q != (ORDER_LOG2 + 1)'(ORDER);
  wire head_ready = buf_count_q != 0 &&
                    (out_active_q || (dec_count_q != 0 && order_room));
  wire head_last = buf_last[buf_rd_q];

  assign m_valid = head_ready && !cur.local_done;
  assign m_data = buf_data[buf_rd_q];
  assign m_last = head_last;
  assign m_sa = cur.sa;
  assign m_len = cur.len;
  wire out_fire = head_ready && (cur.local_done || m_ready);
  wire starts = out_fire && !out_active_q;

  always_ff @(posedge clk) begin
    if (rst) begin
      out_active_q <= 1'b0;
      buf_rd_q <= '0;
      dec_rd_q <= '0;
      ord_wr_q <= '0;
    end else if (out_fire) begin
      buf_rd_q <= buf_rd_q + 1'b1;
      out_active_q <= !head_last;
      if (starts) begin
        out_q <= cur;
        dec_rd_q <= dec_rd_q + 1'b1;
        ord_wr_q <= ord_wr_q + 1'b1;
      end
    end
  end

  always_ff @(posedge clk)
    if (starts) order_fifo[ord_wr_q] <= '{local_done: cur.local_done, code: cur.code, sa: cur.sa};

  // ---- completions in packet order ---------------------------------------------------------
  wire order_t ord_head = order_fifo[ord_rd_q];
  wire ord_any = ord_count_q != 0;
  assign c_valid = ord_any && (ord_head.local_done || e_valid);
  assign c_sa = ord_head.local_done ? ord_head.sa : e_sa;
  assign c_code = ord_head.local_done ? ord_head.code : e_code;
  assign e_ready = ord_any && !ord_head.local_done && c_ready;
  wire c_fire = c_valid && c_ready;

  always_ff @(posedge clk) begin
    if (rst) begin
      ord_rd_q <= '0;
      ord_count_q <= '0;
      buf_count_q <= '0;
      dec_count_q <= '0;
    end else begin
      if (c_fire) ord_rd_q <= ord_rd_q + 1'b1;
      ord_count_q <= ord_count_q + (ORDER_LOG2 + 1)'(starts) - (ORDER_LOG2 + 1)'(c_fire);
      buf_count_q <= buf_count_q + (BUF_LOG2 + 1)'(s_fire) - (BUF_LOG2 + 1)'(out_fire);
      dec_count_q <= dec_count_q + (BUF_LOG2 + 1)'(p3_valid) - (BUF_LOG2 + 1)'(starts);
    end
  end
endmodule
