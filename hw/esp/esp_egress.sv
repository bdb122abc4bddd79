// ESP egress, tunnel mode over IPv4 (optionally ESP-in-UDP, RFC 3948), one 128-bit lane.
//
// Host TX stream in (crypto offload: the SA slot travels as metadata with the first beat,
// together with the packet length from the TX descriptor); wire TX stream out. Per packet:
//   head     reads the SA, checks it (active, hard limits, SN space) and the inner IP header,
//            takes SN = last + 1 and counts the packet (so a later stage never has to refuse it)
//   events   raises ESN-wrap / SN-exhausted / limit events into the event FIFO
//   issue    gcm_core descriptor (nonce = salt || SN, AAD = SPI || SN or SPI || SN-hi || SN-lo),
//            the AAD block, then the inner packet beats with the RFC 4303 trailer merged in
//            (padding 1, 2, 3... to a 4-octet boundary, pad length, next header 4 / 41)
//   packer   outer IPv4 [+ UDP] + SPI + SN + IV (= the 64-bit SN), ciphertext, ICV
// A refused packet is consumed and dropped; every packet gets one completion (c_*) with its
// PKT_STATUS code, in order.
//
// Cost: the issue stage spends 2 + ceil((L + pad + 2) / 16) clocks per packet (descriptor/AAD
// and text) plus 2 head clocks (IDLE, DECIDE; +1 per event); gcm_core's lengths slot of a
// packet overlaps the next packet's IDLE. The packer takes two clocks for the outer header and
// one per ciphertext/ICV chunk (+1 flush when the ICV overflows a beat); a 4-entry FIFO
// between them absorbs their different idle clocks, so egress runs at ceil(text / 16) + 4
// clocks per packet (1,500 octets: 98 clocks, 15.3 octets per clock). The outer IPv4 header: TOS copied from the inner packet, ID from a per-SA
// counter, DF clear, TTL 64, checksum computed here; UDP checksum 0 (RFC 3948).
module esp_egress
  import nicsec_regs_pkg::*;
  import esp_pkg::*;
#(
    parameter int NUM_SA = 64,
    localparam int SA_W = (NUM_SA > 1) ? $clog2(NUM_SA) : 1
) (
    input logic clk,
    input logic rst,
    input logic enable,

    input  logic         s_valid,
    output logic         s_ready,
    input  logic [127:0] s_data,
    input  logic         s_last,
    input  logic [ 15:0] s_sa,   // first beat: SA slot
    input  logic [ 15:0] s_len,  // first beat: packet length in octets

    output logic         m_valid,
    input  logic         m_ready,
    output logic [127:0] m_data,
    output logic [  4:0] m_nbytes,
    output logic         m_last,

    output logic        c_valid,
    input  logic        c_ready,
    output logic [15:0] c_sa,
    output logic [ 3:0] c_code,

    output logic        ev_valid,
    input  logic        ev_ready,
    output logic [ 3:0] ev_type,
    output logic [15:0] ev_sa,
    output logic [63:0] ev_value,

    input  logic                            mb_start,
    input  logic       [               2:0] mb_op,
    input  logic       [              15:0] mb_idx,
    input  rec_words_t                      mb_words,
    input  logic       [             255:0] mb_key,
    output logic                            mb_busy,
    output logic                            mb_err,
    output logic                            mb_done,
    output rec_words_t                      mb_rd_words,
    output logic       [PROBE_WORDS*32-1:0] mb_probe
);
  typedef enum logic [2:0] {
    H_IDLE,
    H_DECIDE,
    H_EVENTS,
    H_START,
    H_AAD,
    H_TEXT,
    H_COMPL,
    H_DRAIN
  } head_e;

  head_e state;
  logic [15:0] sa_q, len_q;
  logic [SA_W-1:0] slot;
  sa_cfg_t cfg;
  sa_dyn_t dyn, dyn_next;
  logic dp_we;

  // ---- SA table and GCM -----------------------------------------------------------------------
  logic inst_valid, inst_ready, inst_is256, inst_zeroize, inst_done;
  logic [SA_W-1:0] inst_sa, dbg_sa;
  logic [255:0] inst_key;
  logic dbg_req, dbg_done;
  logic [127:0] dbg_rk0, dbg_h;

  /* verilator lint_off PINCONNECTEMPTY */
  esp_sa_table #(
      .NUM_SA(NUM_SA),
      .WIN(1)
  ) u_table (
      .clk, .rst,
      .a_idx(slot), .a_cfg(cfg), .a_dyn(dyn), .a_bitmap(),
      .b_idx(slot), .b_cfg(), .b_dyn(), .b_bitmap(),
      .dp_we, .dp_idx(slot), .dp_dyn(dyn_next), .dp_bitmap(1'b0),
      .mb_start, .mb_op, .mb_idx, .mb_words, .mb_key, .mb_busy, .mb_err, .mb_done,
      .mb_rd_words, .mb_probe,
      .inst_valid, .inst_ready, .inst_sa, .inst_key, .inst_is256, .inst_zeroize, .inst_done,
      .dbg_req, .dbg_sa, .dbg_done, .dbg_rk0, .dbg_h
  );
  /* verilator lint_on PINCONNECTEMPTY */

  logic desc_valid, desc_ready, din_valid, din_ready;
  logic [127:0] din_data;
  logic dout_valid, dout_ready, dout_is_tag, dout_last;
  logic [127:0] dout_data;
  logic [4:0] dout_nbytes;
  logic [63:0] seq_q;
  logic [15:0] text_len_q;

  gcm_core #(
      .NUM_SA(NUM_SA)
  ) u_gcm (
      .clk, .rst,
      .inst_valid, .inst_ready, .inst_sa, .inst_key, .inst_is256, .inst_zeroize, .inst_done,
      .desc_valid, .desc_ready, .desc_sa(slot), .desc_nonce({cfg.salt, seq_q}),
      .desc_aad_len(cfg.esn ? 16'd12 : 16'd8), .desc_text_len(text_len_q),
      .desc_icv_len(cfg.icv_len), .desc_decrypt(1'b0),
      .din_valid, .din_ready, .din_data,
      .dout_valid, .dout_ready, .dout_data, .dout_nbytes, .dout_is_tag, .dout_last,
      .dbg_req, .dbg_sa, .dbg_done, .dbg_rk0, .dbg_h
  );

  // ---- head: decide on the first beat (still held on s_data) ----------------------------------
  wire [3:0] version = s_data[127:124];
  wire [15:0] v4_total = {byte_at(s_data, 2), byte_at(s_data, 3)};
  wire [16:0] v6_total = 17'd40 + {1'b0, byte_at(s_data, 4), byte_at(s_data, 5)};
  logic [16:0] inner_len;
  logic [7:0] inner_tos, next_header;
  logic inner_ok;
  always_comb begin
    inner_len = '0;
    inner_tos = '0;
    next_header = 8'd4;
    inner_ok = 1'b0;
    if (version == 4'd4) begin
      inner_len = {1'b0, v4_total};
      inner_tos = byte_at(s_data, 1);
      inner_ok = v4_total >= 16'd20 && {1'b0, v4_total} <= {1'b0, len_q};
    end else if (version == 4'd6) begin
      inner_len = v6_total;
      inner_tos = {s_data[123:120], s_data[119:116]};
      next_header = 8'd41;
      inner_ok = v6_total <= {1'b0, len_q};
    end
  end

  wire [1:0] pad = 2'(-(inner_len + 17'd2));
  wire [16:0] text_len = inner_len + 17'(pad) + 17'd2;
  wire [17:0] esp_len = 18'd16 + 18'(text_len) + 18'(cfg.icv_len);
  wire [17:0] udp_len = esp_len + 18'd8;
  wire [17:0] outer_len = (cfg.udp ? udp_len : esp_len) + 18'd20;
  wire [63:0] last_sn = cfg.esn ? 64'hffff_ffff_ffff_ffff : 64'h0000_0000_ffff_ffff;
  wire [63:0] seq_next = dyn.seq + 64'd1;
  wire slot_ok = sa_q < 16'(NUM_SA);

  logic [3:0] code;
  always_comb begin
    if (!slot_ok || !cfg.active) code = 4'(PKT_STATUS_NO_SA);
    else if (hard_expired(cfg, dyn)) code = 4'(PKT_STATUS_EXPIRED);
    else if (dyn.seq >= last_sn) code = 4'(PKT_STATUS_SN_EXHAUSTED);
    else if (!inner_ok) code = 4'(PKT_STATUS_MALFORMED);
    else if (outer_len > 18'd65535) code = 4'(PKT_STATUS_TOO_BIG);
    else code = 4'(PKT_STATUS_OK);
  end

  ev_bits_t ev_now;
  always_comb begin
    dyn_next = dyn;
    dyn_next.seq = seq_next;
    dyn_next.packets = dyn.packets + 64'd1;
    dyn_next.bytes = dyn.bytes + 64'(inner_len);
    dyn_next.ip_id = dyn.ip_id + 16'd1;
    ev_now = limit_events(cfg, dyn_next);
    ev_now[EVENT_TYPE_ESN_WRAP] = cfg.esn && seq_next[31:0] == 32'd0;
    ev_now[EVENT_TYPE_SN_EXHAUSTED] = seq_next == last_sn;
    dyn_next.fired = dyn.fired | fired_bits(ev_now);
  end
  assign dp_we = state == H_DECIDE && code == 4'(PKT_STATUS_OK);
  // The table read is registered: while idle it is addressed with the SA slot metadata of the
  // packet on the input, so the SA's words are there in H_DECIDE.
  assign slot = state == H_IDLE ? SA_W'(s_sa) : SA_W'(sa_q);

  // Outer header, RFC 791 / RFC 768 / RFC 4303.
  function automatic logic [15:0] ipv4_checksum(input logic [159:0] hdr);
    logic [31:0] sum;
    sum = '0;
    for (int i = 0; i < 10; i++) sum += 32'(hdr[159-16*i-:16]);
    sum = (sum & 32'hffff) + (sum >> 16);
    sum = (sum & 32'hffff) + (sum >> 16);
    return ~sum[15:0];
  endfunction

  logic [159:0] ip_hdr;
  logic [351:0] header;
  always_comb begin
    ip_hdr = {8'h45, inner_tos, outer_len[15:0], dyn.ip_id, 16'h0000, 8'd64,
              cfg.udp ? 8'd17 : 8'd50, 16'h0000, cfg.src, cfg.dst};
    ip_hdr[79:64] = ipv4_checksum(ip_hdr);
    if (cfg.udp)
      header = {ip_hdr, cfg.sport, cfg.dport, udp_len[15:0], 16'h0000, cfg.spi,
                seq_next[31:0], seq_next};
    else header = {ip_hdr, cfg.spi, seq_next[31:0], seq_next, 64'd0};
  end

  // ---- registered per-packet state --------------------------------------------------------------
  ev_bits_t ev_q;
  sa_dyn_t dyn_q;
  logic [3:0] code_q;
  logic [16:0] inner_len_q;
  logic [1:0] pad_q;
  logic [7:0] nh_q;
  logic [351:0] header_q;
  logic [11:0] blk;  // text block being issued
  logic [11:0] last_blk;
  logic got_last;

  // header FIFO towards the packer (headers run ahead of the ciphertext by the GCM latency)
  localparam int HDR_DEPTH = 4;
  logic [HDR_DEPTH-1:0][352:0] hdr_fifo;
  logic [2:0] hdr_count;
  logic hdr_push, hdr_pop;
  wire hdr_space = hdr_count < 3'(HDR_DEPTH);

  wire c_free = !c_valid || c_ready;
  wire start_go = state == H_START && desc_ready && hdr_space && c_free;
  assign desc_valid = state == H_START && hdr_space && c_free;
  assign hdr_push = start_go;

  // text block: inner packet octets, then the trailer
  wire take_input = {blk, 4'd0} < 16'(inner_len_q);
  logic [127:0] text_block;
  always_comb begin
    for (int j = 0; j < 16; j++) begin
      logic [16:0] pos;
      logic [16:0] k;
      logic [7:0] b;
      pos = 17'({blk, 4'd0}) + 17'(j);
      k = pos - inner_len_q;
      if (pos < inner_len_q) b = byte_at(s_data, j);
      else if (k < 17'(pad_q)) b = 8'(k + 17'd1);
      else if (k == 17'(pad_q)) b = 8'(pad_q);
      else if (k == 17'(pad_q) + 17'd1) b = nh_q;
      else b = 8'd0;
      text_block[127-8*j-:8] = b;
    end
  end

  wire [127:0] aad_block = cfg.esn ? {cfg.spi, seq_q, 32'd0} : {cfg.spi, seq_q[31:0], 64'd0};
  assign din_valid = (state == H_AAD) || (state == H_TEXT && (!take_input || s_valid));
  assign din_data = state == H_AAD ? aad_block : text_block;
  wire din_fire = din_valid && din_ready;

  assign s_ready = (state == H_TEXT && take_input && din_ready) || state == H_DRAIN;
  wire s_fire = s_valid && s_ready;

  always_ff @(posedge clk) begin
    if (rst) begin
      state <= H_IDLE;
      c_valid <= 1'b0;
    end else begin
      if (c_valid && c_ready) c_valid <= 1'b0;
      unique case (state)
        H_IDLE: if (enable && s_valid) state <= H_DECIDE;
        // A packet without events goes straight to the descriptor: the per-packet overhead is
        // then IDLE + DECIDE, and IDLE overlaps gcm_core's lengths slot of the previous packet.
        H_DECIDE:
        state <= code != 4'(PKT_STATUS_OK) ? H_COMPL : ev_now != '0 ? H_EVENTS : H_START;
        H_EVENTS: if (ev_q == '0) state <= H_START;
        H_START:
        if (start_go) begin
          state   <= H_AAD;
          c_valid <= 1'b1;
          c_sa    <= sa_q;
          c_code  <= 4'(PKT_STATUS_OK);
        end
        H_AAD: if (din_fire) state <= H_TEXT;
        H_TEXT:
        if (din_fire && blk == last_blk) begin
          state <= (got_last || (s_fire && s_last)) ? H_IDLE : H_DRAIN;
        end
        H_COMPL:
        if (c_free) begin
          state   <= H_DRAIN;
          c_valid <= 1'b1;
          c_sa    <= sa_q;
          c_code  <= code_q;
        end
        default: if (s_fire && s_last) state <= H_IDLE;  // H_DRAIN
      endcase
    end
  end

  always_ff @(posedge clk) begin
    unique case (state)
      H_IDLE: begin
        sa_q <= s_sa;
        len_q <= s_len;
      end
      H_DECIDE: begin
        code_q <= code;
        ev_q <= ev_now;
        dyn_q <= dyn_next;
        seq_q <= seq_next;
        inner_len_q <= inner_len;
        pad_q <= pad;
        nh_q <= next_header;
        text_len_q <= text_len[15:0];
        last_blk <= 12'((text_len - 17'd1) >> 4);
        header_q <= header;
        blk <= '0;
        got_last <= 1'b0;
      end
      H_EVENTS: if (ev_valid && ev_ready) ev_q[3'(ev_type)] <= 1'b0;
      default: ;
    endcase
    if (state == H_TEXT && din_fire) blk <= blk + 12'd1;
    if (s_fire && s_last) got_last <= 1'b1;
  end

  assign ev_valid = state == H_EVENTS && ev_q != '0;
  assign ev_type = first_event(ev_q);
  assign ev_sa = sa_q;
  assign ev_value = event_value(ev_type, dyn_q);

  always_ff @(posedge clk) begin
    if (rst) begin
      hdr_count <= '0;
    end else begin
      if (hdr_pop) for (int i = 0; i < HDR_DEPTH - 1; i++) hdr_fifo[i] <= hdr_fifo[i+1];
      if (hdr_push) hdr_fifo[2'(hdr_count-(hdr_pop ? 3'd1 : 3'd0))] <= {cfg.udp, header_q};
      hdr_count <= hdr_count + (hdr_push ? 3'd1 : 3'd0) - (hdr_pop ? 3'd1 : 3'd0);
    end
  end

  // Body FIFO between gcm_core and the packer. Per packet gcm_core's output has three empty
  // clocks (the lengths slot, J0, AAD) and the packer three clocks that take no body (two
  // header chunks, the flush); coupled directly they do not line up and stall each other once
  // per packet. Four entries absorb the skew, so both run at their own ceil(text / 16) + 4.
  localparam int BODY_DEPTH = 4;
  typedef struct packed {
    logic         last;
    logic [4:0]   nbytes;
    logic [127:0] data;
  } body_t;
  body_t body_mem[BODY_DEPTH];
  logic [2:0] body_wr, body_rd;  // one bit more than the index: full vs empty
  logic body_take;
  wire body_valid = body_wr != body_rd;
  assign dout_ready = body_wr - body_rd != 3'(BODY_DEPTH);
  body_t body_head;
  assign body_head = body_mem[body_rd[1:0]];

  always_ff @(posedge clk) begin
    if (rst) begin
      body_wr <= '0;
      body_rd <= '0;
    end else begin
      if (dout_valid && dout_ready) begin
        body_mem[body_wr[1:0]] <= '{last: dout_last, nbytes: dout_nbytes, data: dout_data};
        body_wr <= body_wr + 3'd1;
      end
      if (body_valid && body_take) body_rd <= body_rd + 3'd1;
    end
  end

  esp_tx_packer u_packer (
      .clk, .rst,
      .hdr_valid(hdr_count != 0),
      .hdr_pop,
      .hdr_data(hdr_fifo[0][351:0]),
      .hdr_udp(hdr_fifo[0][352]),
      .body_valid(body_valid),
      .body_ready(body_take),
      .body_data(body_head.data),
      .body_nbytes(body_head.nbytes),
      .body_last(body_head.last),
      .m_valid, .m_ready, .m_data, .m_nbytes, .m_last
  );

  /* verilator lint_off UNUSEDSIGNAL */
  wire unused = ^{dout_is_tag, dyn_q.replay_drops};
  /* verilator lint_on UNUSEDSIGNAL */
endmodule
