/* The soft device's policy table (packet mode) and selector matching, shared by the inbound
 * selector check after decap and the outbound SA choice of the datapath I/O. No locking: the
 * device lock covers every call. */
#ifndef NICSEC_SOFT_POLICY_H
#define NICSEC_SOFT_POLICY_H

#include <stdbool.h>
#include <stdint.h>

#include "esp_ip.h"
#include "nicsec/hal.h"

struct soft_policy_slot {
  bool used;
  uint32_t gen;
  struct nicsec_hal_policy pol;
};

struct soft_policies {
  struct soft_policy_slot *slots;
  uint32_t cap;
  uint32_t end; /* one past the highest used slot: lookups scan slots[0..end) only */
};

/* cap may be 0 (no policy table). */
enum nicsec_hal_err soft_policies_init(struct soft_policies *t, uint32_t cap);
void soft_policies_free(struct soft_policies *t);

/* gen: the device's next generation number (makes ids unique over time). */
enum nicsec_hal_err soft_policies_add(struct soft_policies *t, const struct nicsec_hal_policy *pol,
                                      uint32_t gen, nicsec_hal_policy_id *id);
enum nicsec_hal_err soft_policies_del(struct soft_policies *t, nicsec_hal_policy_id id);

/* The policy of direction dir that wins for the packet whose header v describes: the most
 * specific matching selector (soft_selector_cmp), then the lowest priority value; NULL when
 * none matches. */
const struct nicsec_hal_policy *soft_policies_lookup(const struct soft_policies *t,
                                                     enum nicsec_hal_dir dir,
                                                     const struct ip_view *v, const uint8_t *pkt);

/* True when the packet (header v, bytes pkt) lies inside the selector: address prefixes,
 * protocol and ports (0 = any). A selector with ports never matches a fragment or a packet
 * without ports. */
bool soft_selector_match(const struct nicsec_hal_selector *sel, const struct ip_view *v,
                         const uint8_t *pkt);

/* > 0 when a is more specific than b, < 0 when less, 0 when equally specific. Specificity in
 * order: destination prefix length, source prefix length, protocol given, ports given. */
int soft_selector_cmp(const struct nicsec_hal_selector *a, const struct nicsec_hal_selector *b);

#endif
