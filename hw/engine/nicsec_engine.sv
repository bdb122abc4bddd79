// Top level of the nicsec ESP engine: what the simulated NIC (sim/) instantiates.
//
//   AXI4-Lite BAR ──> nicsec_csr ──> SA mailbox ──> outbound / inbound esp_sa_table (+ keys)
//                                └─< event FIFO <── limit / ESN events of both pipelines
//   host TX  (s_tx)   ──> esp_tx_steer ──> esp_egress ──> wire TX (m_wtx) ; TX completions (m_txc)
//                       (SA slot from the descriptor, or looked up: STEER_* registers)
//   wire RX  (s_wrx)  ──> esp_ingress ──> host RX (m_rx, status with the last beat)
//
// Packet ports are AXI-Stream style with 128-bit beats (octet 0 of a beat in tdata[127:120],
// network order); a beat carries 16 octets except the last of a packet, whose octet count is
// m_*_nbytes (a contiguous tkeep). Input packets carry their length (and on TX the SA slot) as
// metadata with the first beat, as a TX descriptor / RX FIFO would; the number of beats must be
// ceil(length / 16). LANES is reported in CAPS; this build has one lane per direction.
module nicsec_engine
  import nicsec_regs_pkg::*;
  import esp_pkg::*;
#(
    parameter int unsigned LANES = 1,
    parameter int unsigned SA_DEPTH_LOG2 = 12,
    parameter int unsigned REPLAY_WIN_LOG2 = 10,
    parameter int unsigned PKT_BUF_LOG2 = 12,
    parameter int unsigned EVENT_DEPTH = 64,
    parameter int unsigned STEER_DEPTH = 64
) (
    input logic clk,
    input logic rst_n,

    input  logic                  s_axil_awvalid,
    output logic                  s_axil_awready,
    input  logic [CSR_ADDR_W-1:0] s_axil_awaddr,
    input  logic                  s_axil_wvalid,
    output logic                  s_axil_wready,
    input  logic [          31:0] s_axil_wdata,
    input  logic [           3:0] s_axil_wstrb,
    output logic                  s_axil_bvalid,
    input  logic                  s_axil_bready,
    output logic [           1:0] s_axil_bresp,
    input  logic                  s_axil_arvalid,
    output logic                  s_axil_arready,
    input  logic [CSR_ADDR_W-1:0] s_axil_araddr,
    output logic                  s_axil_rvalid,
    input  logic                  s_axil_rready,
    output logic [          31:0] s_axil_rdata,
    output logic [           1:0] s_axil_rresp,

    // host TX: plaintext IP packets, SA slot and length with the first beat
    input  logic         s_tx_valid,
    output logic         s_tx_ready,
    input  logic [127:0] s_tx_data,
    input  logic         s_tx_last,
    input  logic [ 15:0] s_tx_sa,
    input  logic [ 15:0] s_tx_len,
    input  logic         s_tx_lookup,  // first beat: SA from the TX steering table, not s_tx_sa

    // wire TX: ESP packets
    output logic         m_wtx_valid,
    input  logic         m_wtx_ready,
    output logic [127:0] m_wtx_data,
    output logic [  4:0] m_wtx_nbytes,
    output logic         m_wtx_last,

    // TX completions: one per host TX packet, in order
    output logic        m_txc_valid,
    input  logic        m_txc_ready,
    output logic [15:0] m_txc_sa,
    output logic [ 3:0] m_txc_code,

    // wire RX: outer IP packets, length with the first beat
    input  logic         s_wrx_valid,
    output logic         s_wrx_ready,
    input  logic [127:0] s_wrx_data,
    input  logic         s_wrx_last,
    input  logic [ 15:0] s_wrx_len,

    // host RX: decrypted inner packets; a dropped packet is one empty beat; status on the last
    output logic         m_rx_valid,
    input  logic         m_rx_ready,
    output logic [127:0] m_rx_data,
    output logic [  4:0] m_rx_nbytes,
    output logic         m_rx_last,
    output logic [  3:0] m_rx_code,
    output logic [ 15:0] m_rx_sa,

    output logic irq,

    // SA descriptors from the host's ring (DMA: SA_DESC layout, tlast on the last beat) and
    // their completions {tag, DESC_STATUS}, in order
    input  logic         s_desc_valid,
    output logic         s_desc_ready,
    input  logic [127:0] s_desc_data,
    input  logic         s_desc_last,
    output logic         m_dcpl_valid,
    input  logic         m_dcpl_ready,
    output logic [ 31:0] m_dcpl_tag,
    output logic [  3:0] m_dcpl_status
);
  localparam int NUM_SA = 1 << SA_DEPTH_LOG2;
  localparam logic [31:0] FEATURES = (32'h1 << FEATURES_TUNNEL_LSB)
                                   | (32'h1 << FEATURES_TRANSPORT_LSB)
                                   | (32'h1 << FEATURES_UDP_ENCAP_LSB)
                                   | (32'h1 << FEATURES_ESN_LSB)
                                   | (32'h1 << FEATURES_AES256_LSB)
                                   | (32'h1 << FEATURES_ICV8_LSB)
                                   | (32'h1 << FEATURES_ICV12_LSB)
                                   | (32'h1 << FEATURES_ICV16_LSB)
                                   | (32'h1 << FEATURES_TX_STEER_LSB)
                                   | (32'h1 << FEATURES_SA_DESC_LSB)
                                   | (32'(PKT_BUF_LOG2) << FEATURES_PKT_BUF_LOG2_LSB);

  wire rst = !rst_n;
  logic ctrl_enable;
  logic [31:0] spi_base;

  logic sa_cmd_start, sa_dir_in;
  logic [2:0] sa_op;
  logic [15:0] sa_index;
  rec_words_t sa_words, out_rd_words, in_rd_words;
  logic [255:0] sa_key;
  logic out_busy, out_err, out_done, in_busy, in_err, in_done;
  logic [PROBE_WORDS*32-1:0] out_probe, in_probe;
  logic dir_in_q;  // table of the last command

  always_ff @(posedge clk) if (sa_cmd_start) dir_in_q <= sa_dir_in;

  // SA table commands from the CSR mailbox and from the descriptor loader, one at a time
  logic csr_busy, csr_err, csr_done, out_start, in_start;
  logic [2:0] mb_op;
  logic [15:0] mb_idx;
  rec_words_t mb_words, ld_words;
  logic [255:0] mb_key, ld_key;
  logic ld_valid, ld_ready, ld_dir_in, ld_done, ld_err;
  logic [2:0] ld_op;
  logic [15:0] ld_idx;

  logic ev_a_valid, ev_a_ready, ev_b_valid, ev_b_ready;
  logic [3:0] ev_a_type, ev_b_type;
  logic [15:0] ev_a_sa, ev_b_sa;
  logic [63:0] ev_a_value, ev_b_value;
  logic event_pop, event_pushed, head_valid, head_dir_in, head_lost;
  logic [3:0] head_type;
  logic [15:0] head_sa;
  logic [63:0] head_value;

  wire [31:0] event_info = (32'(head_sa) << EVENT_INFO_SA_LSB)
                         | (32'(head_dir_in) << EVENT_INFO_DIR_LSB)
                         | (32'(head_type) << EVENT_INFO_TYPE_LSB)
                         | (32'(head_lost) << EVENT_INFO_LOST_LSB);

  nicsec_csr #(
      .LANES(LANES),
      .SA_DEPTH_LOG2(SA_DEPTH_LOG2),
      .REPLAY_WIN_LOG2(REPLAY_WIN_LOG2),
      .FEATURES(FEATURES)
  ) csr (
      .clk,
      .rst_n,
      .s_awvalid(s_axil_awvalid),
      .s_awready(s_axil_awready),
      .s_awaddr(s_axil_awaddr),
      .s_wvalid(s_axil_wvalid),
      .s_wready(s_axil_wready),
      .s_wdata(s_axil_wdata),
      .s_wstrb(s_axil_wstrb),
      .s_bvalid(s_axil_bvalid),
      .s_bready(s_axil_bready),
      .s_bresp(s_axil_bresp),
      .s_arvalid(s_axil_arvalid),
      .s_arready(s_axil_arready),
      .s_araddr(s_axil_araddr),
      .s_rvalid(s_axil_rvalid),
      .s_rready(s_axil_rready),
      .s_rdata(s_axil_rdata),
      .s_rresp(s_axil_rresp),
      .event_fifo_nonempty(head_valid),
      .event_pushed,
      .error_seen(1'b0),
      .ctrl_enable,
      .irq,
      .in_spi_base(spi_base),
      .sa_cmd_start,
      .sa_op,
      .sa_index,
      .sa_dir_in,
      .sa_words,
      .sa_key,
      .sa_busy(csr_busy),
      .sa_error(csr_err),
      .sa_done(csr_done),
      .sa_load(csr_done && sa_op == 3'(SA_OP_READ)),
      .sa_load_words(dir_in_q ? in_rd_words : out_rd_words),
      .sa_probe(dir_in_q ? in_probe : out_probe),
      .event_pop,
      .event_valid(head_valid),
      .event_info,
      .event_head_value(head_value),
      .steer_we, .steer_waddr, .steer_wdata, .steer_wmask, .steer_raddr, .steer_rdata
  );

  // TX steering in front of egress: host TX → esp_tx_steer → esp_egress; completions of both
  // leave through the steering block in packet order.
  logic steer_we;
  logic [CSR_ADDR_W-1:0] steer_waddr, steer_raddr;
  logic [31:0] steer_wdata, steer_wmask, steer_rdata;
  logic st_valid, st_ready, st_last, ec_valid, ec_ready;
  logic [127:0] st_data;
  logic [15:0] st_sa, st_len, ec_sa;
  logic [3:0] ec_code;

  esp_tx_steer #(
      .DEPTH(STEER_DEPTH)
  ) u_steer (
      .clk, .rst, .enable(ctrl_enable),
      .reg_we(steer_we), .reg_waddr(steer_waddr), .reg_wdata(steer_wdata),
      .reg_wmask(steer_wmask), .reg_raddr(steer_raddr), .reg_rdata(steer_rdata),
      .s_valid(s_tx_valid), .s_ready(s_tx_ready), .s_data(s_tx_data), .s_last(s_tx_last),
      .s_sa(s_tx_sa), .s_len(s_tx_len), .s_lookup(s_tx_lookup),
      .m_valid(st_valid), .m_ready(st_ready), .m_data(st_data), .m_last(st_last),
      .m_sa(st_sa), .m_len(st_len),
      .e_valid(ec_valid), .e_ready(ec_ready), .e_sa(ec_sa), .e_code(ec_code),
      .c_valid(m_txc_valid), .c_ready(m_txc_ready), .c_sa(m_txc_sa), .c_code(m_txc_code)
  );

  esp_egress #(
      .NUM_SA(NUM_SA)
  ) u_egress (
      .clk, .rst, .enable(ctrl_enable),
      .s_valid(st_valid), .s_ready(st_ready), .s_data(st_data), .s_last(st_last),
      .s_sa(st_sa), .s_len(st_len),
      .m_valid(m_wtx_valid), .m_ready(m_wtx_ready), .m_data(m_wtx_data),
      .m_nbytes(m_wtx_nbytes), .m_last(m_wtx_last),
      .c_valid(ec_valid), .c_ready(ec_ready), .c_sa(ec_sa), .c_code(ec_code),
      .ev_valid(ev_a_valid), .ev_ready(ev_a_ready), .ev_type(ev_a_type), .ev_sa(ev_a_sa),
      .ev_value(ev_a_value),
      .mb_start(out_start), .mb_op(mb_op), .mb_idx(mb_idx),
      .mb_words(mb_words), .mb_key(mb_key), .mb_busy(out_busy), .mb_err(out_err),
      .mb_done(out_done), .mb_rd_words(out_rd_words), .mb_probe(out_probe)
  );

  esp_ingress #(
      .NUM_SA(NUM_SA),
      .WIN(1 << REPLAY_WIN_LOG2),
      .PB_DEPTH(1 << PKT_BUF_LOG2)
  ) u_ingress (
      .clk, .rst, .enable(ctrl_enable), .spi_base,
      .s_valid(s_wrx_valid), .s_ready(s_wrx_ready), .s_data(s_wrx_data), .s_last(s_wrx_last),
      .s_len(s_wrx_len),
      .m_valid(m_rx_valid), .m_ready(m_rx_ready), .m_data(m_rx_data), .m_nbytes(m_rx_nbytes),
      .m_last(m_rx_last), .m_code(m_rx_code), .m_sa(m_rx_sa),
      .ev_valid(ev_b_valid), .ev_ready(ev_b_ready), .ev_type(ev_b_type), .ev_sa(ev_b_sa),
      .ev_value(ev_b_value),
      .mb_start(in_start), .mb_op(mb_op), .mb_idx(mb_idx),
      .mb_words(mb_words), .mb_key(mb_key), .mb_busy(in_busy), .mb_err(in_err),
      .mb_done(in_done), .mb_rd_words(in_rd_words), .mb_probe(in_probe)
  );

  esp_event_fifo #(
      .DEPTH(EVENT_DEPTH)
  ) u_events (
      .clk, .rst,
      .a_valid(ev_a_valid), .a_ready(ev_a_ready), .a_type(ev_a_type), .a_sa(ev_a_sa),
      .a_value(ev_a_value),
      .b_valid(ev_b_valid), .b_ready(ev_b_ready), .b_type(ev_b_type), .b_sa(ev_b_sa),
      .b_value(ev_b_value),
      .head_valid, .head_type, .head_sa, .head_dir_in, .head_lost, .head_value,
      .pop(event_pop), .pushed(event_pushed)
  );

  esp_sa_loader #(
      .NUM_SA(NUM_SA)
  ) u_loader (
      .clk, .rst,
      .s_valid(s_desc_valid), .s_ready(s_desc_ready), .s_data(s_desc_data),
      .s_last(s_desc_last),
      .cmd_valid(ld_valid), .cmd_ready(ld_ready), .cmd_dir_in(ld_dir_in), .cmd_op(ld_op),
      .cmd_idx(ld_idx), .cmd_words(ld_words), .cmd_key(ld_key), .cmd_done(ld_done),
      .cmd_err(ld_err),
      .m_cpl_valid(m_dcpl_valid), .m_cpl_ready(m_dcpl_ready), .m_cpl_tag(m_dcpl_tag),
      .m_cpl_status(m_dcpl_status)
  );

  esp_sa_cmd_arb u_sa_arb (
      .clk, .rst,
      .csr_start(sa_cmd_start), .csr_dir_in(sa_dir_in), .csr_op(sa_op), .csr_idx(sa_index),
      .csr_words(sa_words), .csr_key(sa_key), .csr_busy, .csr_done, .csr_err,
      .ld_valid, .ld_ready, .ld_dir_in, .ld_op, .ld_idx, .ld_words, .ld_key, .ld_done, .ld_err,
      .out_start, .in_start, .mb_op, .mb_idx, .mb_words, .mb_key,
      .out_busy, .in_busy, .out_done, .in_done, .out_err, .in_err
  );
endmodule
