/* Make-before-break reauthentication (RFC 7296 2.8.3): at reauth_time the side that has it
 * configured builds a new IKE SA from scratch (IKE_SA_INIT, IKE_AUTH without INITIAL_CONTACT),
 * creates every Child SA of the old one again inside it, lets the peer switch its traffic (one
 * INFORMATIONAL on the new SA), and only then deletes the old IKE SA with its Child SAs. */
#ifndef NICSEC_DAEMON_REAUTH_H
#define NICSEC_DAEMON_REAUTH_H

#include <stdbool.h>

#include "engine_internal.h"

/* From the lifetime timers: starts the replacement of sa when its time came. */
void nd_reauth_tick(struct nd_engine *e, struct nd_ike_sa *sa);
/* The next step of a replacement SA when its request window is free; true when it sent a
 * request. The last step queues the Delete of the old IKE SA. */
bool nd_reauth_run(struct nd_engine *e, struct nd_ike_sa *n);
/* A new Child SA inherits the reqid of the Child SA it replaces (policies follow the reqid):
 * on the reauthenticating side the old SA's child of that name, on the peer's side a live child
 * of that name in another IKE SA with the same peer. */
void nd_reauth_inherit_reqid(const struct nd_engine *e, const struct nd_ike_sa *sa,
                             struct nd_child_sa *child);
/* IKE_AUTH responder: installs the negotiated Child SA. When it duplicates a live Child SA of
 * another IKE SA with the same peer (a reauthentication), only the inbound SA goes in now; the
 * outbound follows the peer's next request on the new IKE SA (or one drain period), so nothing
 * is sent before the peer can receive it. */
bool nd_reauth_install_responder(struct nd_engine *e, struct nd_ike_sa *sa,
                                 struct nd_child_sa *child);

/* sa is going away (deleted by the peer, or otherwise): Child SAs that replace its own in
 * another IKE SA with the same peer and still hold their outbound back get it now, so traffic
 * moves over instead of stopping (a reauthenticating peer that deletes the old IKE SA without a
 * request on the new one first). */
void nd_reauth_takeover(struct nd_engine *e, const struct nd_ike_sa *sa);

#endif
