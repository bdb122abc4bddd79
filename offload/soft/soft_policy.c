#include "soft_policy.h"

#include <stdlib.h>
#include <string.h>

enum nicsec_hal_err soft_policies_init(struct soft_policies *t, uint32_t cap) {
  *t = (struct soft_policies){.cap = cap};
  t->slots = calloc(cap ? cap : 1, sizeof *t->slots);
  return t->slots ? NICSEC_HAL_OK : NICSEC_HAL_E_NOMEM;
}

void soft_policies_free(struct soft_policies *t) {
  free(t->slots);
  t->slots = NULL;
}

static nicsec_hal_policy_id make_id(uint32_t gen, uint32_t idx) {
  return (uint64_t)gen << 32 | (uint64_t)(idx + 1);
}

static bool same_addr(const struct nicsec_hal_addr *a, const struct nicsec_hal_addr *b) {
  return a->family == b->family &&
         memcmp(a->bytes, b->bytes, a->family == NICSEC_HAL_AF_INET ? 4 : 16) == 0;
}

static bool same_policy(const struct nicsec_hal_policy *a, const struct nicsec_hal_policy *b) {
  const struct nicsec_hal_selector *x = &a->sel, *y = &b->sel;
  return a->dir == b->dir && a->priority == b->priority && same_addr(&x->src, &y->src) &&
         same_addr(&x->dst, &y->dst) && x->src_prefix == y->src_prefix &&
         x->dst_prefix == y->dst_prefix && x->proto == y->proto && x->sport == y->sport &&
         x->dport == y->dport;
}

enum nicsec_hal_err soft_policies_add(struct soft_policies *t, const struct nicsec_hal_policy *pol,
                                      uint32_t gen, nicsec_hal_policy_id *id) {
  struct soft_policy_slot *free_slot = NULL;
  for (uint32_t i = 0; i < t->cap; i++) {
    struct soft_policy_slot *p = &t->slots[i];
    if (p->used && same_policy(&p->pol, pol))
      return NICSEC_HAL_E_DUPLICATE_POLICY;
    if (!p->used && !free_slot)
      free_slot = p;
  }
  if (!free_slot)
    return NICSEC_HAL_E_TABLE_FULL;
  *free_slot = (struct soft_policy_slot){.used = true, .gen = gen, .pol = *pol};
  uint32_t idx = (uint32_t)(free_slot - t->slots);
  if (idx + 1 > t->end)
    t->end = idx + 1;
  *id = make_id(gen, idx);
  return NICSEC_HAL_OK;
}

enum nicsec_hal_err soft_policies_del(struct soft_policies *t, nicsec_hal_policy_id id) {
  uint32_t idx = (uint32_t)id - 1;
  if ((uint32_t)id == 0 || idx >= t->cap || !t->slots[idx].used ||
      t->slots[idx].gen != (uint32_t)(id >> 32))
    return NICSEC_HAL_E_NO_SUCH_POLICY;
  t->slots[idx].used = false;
  while (t->end > 0 && !t->slots[t->end - 1].used)
    t->end--;
  return NICSEC_HAL_OK;
}

static bool ports_match(const struct nicsec_hal_selector *sel, const struct ip_view *v,
                        const uint8_t *pkt) {
  if (!sel->sport && !sel->dport)
    return true;
  bool has_ports = (v->proto == IPPROTO_NUM_TCP || v->proto == IPPROTO_NUM_UDP) && !v->fragment &&
                   !v->ext_hdr && v->total_len >= v->hdr_len + 4;
  if (!has_ports)
    return false;
  uint16_t sport = get_be16(pkt + v->hdr_len), dport = get_be16(pkt + v->hdr_len + 2);
  return (!sel->sport || sel->sport == sport) && (!sel->dport || sel->dport == dport);
}

bool soft_selector_match(const struct nicsec_hal_selector *sel, const struct ip_view *v,
                         const uint8_t *pkt) {
  return sel->src.family == v->family && addr_in_prefix(v->src, sel->src.bytes, sel->src_prefix) &&
         addr_in_prefix(v->dst, sel->dst.bytes, sel->dst_prefix) &&
         (!sel->proto || sel->proto == v->proto) && ports_match(sel, v, pkt);
}

static int cmp_uint(unsigned a, unsigned b) { return (a > b) - (a < b); }

int soft_selector_cmp(const struct nicsec_hal_selector *a, const struct nicsec_hal_selector *b) {
  /* Each row is one criterion, compared only when every row above ties. */
  const unsigned rank_a[] = {a->dst_prefix, a->src_prefix, a->proto != 0,
                             (a->sport != 0) + (a->dport != 0)};
  const unsigned rank_b[] = {b->dst_prefix, b->src_prefix, b->proto != 0,
                             (b->sport != 0) + (b->dport != 0)};
  for (size_t i = 0; i < sizeof rank_a / sizeof rank_a[0]; i++) {
    int c = cmp_uint(rank_a[i], rank_b[i]);
    if (c)
      return c;
  }
  return 0;
}

const struct nicsec_hal_policy *soft_policies_lookup(const struct soft_policies *t,
                                                     enum nicsec_hal_dir dir,
                                                     const struct ip_view *v, const uint8_t *pkt) {
  const struct nicsec_hal_policy *best = NULL;
  for (uint32_t i = 0; i < t->end; i++) {
    const struct soft_policy_slot *p = &t->slots[i];
    if (!p->used || p->pol.dir != dir || !soft_selector_match(&p->pol.sel, v, pkt))
      continue;
    int c = best ? soft_selector_cmp(&p->pol.sel, &best->sel) : 1;
    if (c > 0 || (c == 0 && p->pol.priority < best->priority))
      best = &p->pol;
  }
  return best;
}
