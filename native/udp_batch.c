// Batched UDP I/O for Beacon's DNS server (Linux only): one non-blocking UDP socket read with
// recvmmsg and written with sendmmsg, watched with uv_poll on Node's own event loop. It only moves
// bytes: every decision (what to answer, rate limits, truncation, forwarding) is made in
// TypeScript (src/dns/udp.ts, src/dns/server.ts). No threads, no copies beyond the kernel's.
//
// JavaScript hands over, once: an rx Buffer of `slots` × `slotSize` bytes, an Int32Array of
// `slots` lengths and an address Buffer of `slots` × 20 bytes. On every wake-up the addon fills
// up to `slots` datagrams and calls the JS callback with their count; slot i holds the datagram
// at rx[i*slotSize], its length in lens[i] (slotSize when it was larger: JS drops it), and its
// sender in addr[i*20]: family (4 or 6), 0, port (big-endian), 16 address bytes (IPv4 in the
// first four). Answers go back with send(handle, buffers, slots, count) while the callback runs
// (the slots' senders are still known), or later with sendTo(handle, buffer, addr20).
#define _GNU_SOURCE
#define NAPI_VERSION 8
#include <node_api.h>
#include <uv.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define MAX_SLOTS 256
#define ADDR_LEN 20
// Batches read per wake-up before yielding to the rest of the event loop (TCP, timers, HTTP, and
// the clients' own sockets when they share the process). One: the poll is level-triggered, so a
// busy socket is back at the next loop turn, and a burst of answers to one client stays within a
// batch's worth (32 from the server) per turn, well inside a default socket receive buffer.
#define MAX_ROUNDS 1

typedef struct {
  int fd;
  int family;
  uv_poll_t poll;
  int polling;
  int closing;
  napi_env env;
  napi_ref callback;
  napi_ref rx_ref;
  napi_ref lens_ref;
  napi_ref addr_ref;
  napi_async_context async;
  uint8_t *rx;
  int32_t *lens;
  uint8_t *addr;
  uint32_t slots;
  uint32_t slot_size;
  struct sockaddr_storage peers[MAX_SLOTS];
  struct mmsghdr msgs[MAX_SLOTS];
  struct iovec iovs[MAX_SLOTS];
  struct mmsghdr out[MAX_SLOTS];
  struct iovec out_iov[MAX_SLOTS];
} UdpBatch;

#define CHECK(call)                                                                                \
  do {                                                                                             \
    if ((call) != napi_ok) {                                                                       \
      napi_throw_error(env, NULL, "native UDP: N-API call failed: " #call);                        \
      return NULL;                                                                                 \
    }                                                                                              \
  } while (0)

static napi_value throw_errno(napi_env env, const char *syscall, int err) {
  char msg[160];
  snprintf(msg, sizeof msg, "%s failed: %s", syscall, strerror(err));
  napi_value code, text, error;
  const char *name = err == EADDRINUSE      ? "EADDRINUSE"
                     : err == EACCES        ? "EACCES"
                     : err == EADDRNOTAVAIL ? "EADDRNOTAVAIL"
                     : err == EAFNOSUPPORT  ? "EAFNOSUPPORT"
                     : err == EINVAL        ? "EINVAL"
                                            : "EIO";
  napi_create_string_utf8(env, name, NAPI_AUTO_LENGTH, &code);
  napi_create_string_utf8(env, msg, NAPI_AUTO_LENGTH, &text);
  napi_create_error(env, code, text, &error);
  napi_set_named_property(env, error, "code", code);
  napi_value sys;
  napi_create_string_utf8(env, syscall, NAPI_AUTO_LENGTH, &sys);
  napi_set_named_property(env, error, "syscall", sys);
  napi_throw(env, error);
  return NULL;
}

static UdpBatch *get_handle(napi_env env, napi_value v) {
  void *p = NULL;
  if (napi_get_value_external(env, v, &p) != napi_ok || p == NULL) {
    napi_throw_type_error(env, NULL, "native UDP: not a socket handle");
    return NULL;
  }
  UdpBatch *h = p;
  if (h->fd < 0) {
    napi_throw_error(env, NULL, "native UDP: socket is closed");
    return NULL;
  }
  return h;
}

static void write_addr(uint8_t *out, const struct sockaddr_storage *ss) {
  memset(out, 0, ADDR_LEN);
  if (ss->ss_family == AF_INET) {
    const struct sockaddr_in *a = (const struct sockaddr_in *)ss;
    out[0] = 4;
    memcpy(out + 2, &a->sin_port, 2);
    memcpy(out + 4, &a->sin_addr, 4);
  } else if (ss->ss_family == AF_INET6) {
    const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)ss;
    out[0] = 6;
    memcpy(out + 2, &a->sin6_port, 2);
    memcpy(out + 4, &a->sin6_addr, 16);
  }
}

/** Builds a sockaddr for this socket's family from a 20-byte address record; its length or 0. */
static socklen_t read_addr(const UdpBatch *h, const uint8_t *in, struct sockaddr_storage *ss) {
  memset(ss, 0, sizeof *ss);
  if (h->family == AF_INET) {
    if (in[0] != 4) return 0;
    struct sockaddr_in *a = (struct sockaddr_in *)ss;
    a->sin_family = AF_INET;
    memcpy(&a->sin_port, in + 2, 2);
    memcpy(&a->sin_addr, in + 4, 4);
    return sizeof *a;
  }
  struct sockaddr_in6 *a = (struct sockaddr_in6 *)ss;
  a->sin6_family = AF_INET6;
  memcpy(&a->sin6_port, in + 2, 2);
  if (in[0] == 6) {
    memcpy(&a->sin6_addr, in + 4, 16);
  } else if (in[0] == 4) {
    // An IPv4 peer of a dual-stack socket is written back as ::ffff:a.b.c.d.
    a->sin6_addr.s6_addr[10] = 0xff;
    a->sin6_addr.s6_addr[11] = 0xff;
    memcpy(&a->sin6_addr.s6_addr[12], in + 4, 4);
  } else {
    return 0;
  }
  return sizeof *a;
}

// open(host: string, port: number, recvBuf: number, sendBuf: number) → handle
static napi_value udp_open(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  char host[64];
  size_t hlen = 0;
  int32_t port = 0, rcv = 0, snd = 0;
  if (argc < 4 || napi_get_value_string_utf8(env, argv[0], host, sizeof host, &hlen) != napi_ok ||
      napi_get_value_int32(env, argv[1], &port) != napi_ok ||
      napi_get_value_int32(env, argv[2], &rcv) != napi_ok ||
      napi_get_value_int32(env, argv[3], &snd) != napi_ok || port < 0 || port > 65535) {
    napi_throw_type_error(env, NULL, "open(host: IP literal, port, recvBuf, sendBuf)");
    return NULL;
  }
  struct sockaddr_storage ss;
  memset(&ss, 0, sizeof ss);
  socklen_t slen;
  int family;
  struct sockaddr_in *a4 = (struct sockaddr_in *)&ss;
  struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)&ss;
  if (inet_pton(AF_INET, host, &a4->sin_addr) == 1) {
    family = a4->sin_family = AF_INET;
    a4->sin_port = htons((uint16_t)port);
    slen = sizeof *a4;
  } else if (inet_pton(AF_INET6, host, &a6->sin6_addr) == 1) {
    family = a6->sin6_family = AF_INET6;
    a6->sin6_port = htons((uint16_t)port);
    slen = sizeof *a6;
  } else {
    napi_throw_type_error(env, NULL, "native UDP: host must be an IP literal");
    return NULL;
  }
  int fd = socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return throw_errno(env, "socket", errno);
  // Like dgram: no SO_REUSEADDR, and an IPv6 socket keeps the system's dual-stack default.
  if (bind(fd, (struct sockaddr *)&ss, slen) != 0) {
    int e = errno;
    close(fd);
    return throw_errno(env, "bind", e);
  }
  // Larger buffers absorb bursts; the kernel may cap them (not an error, as with dgram).
  if (rcv > 0) setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcv, sizeof rcv);
  if (snd > 0) setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &snd, sizeof snd);
  UdpBatch *h = calloc(1, sizeof *h);
  if (!h) {
    close(fd);
    napi_throw_error(env, NULL, "native UDP: out of memory");
    return NULL;
  }
  h->fd = fd;
  h->family = family;
  h->env = env;
  napi_value ext;
  // The handle is freed by close(); a handle dropped without close() leaks one socket, as an
  // unclosed dgram socket would keep the loop alive instead.
  CHECK(napi_create_external(env, h, NULL, NULL, &ext));
  return ext;
}

// port(handle) → the bound port
static napi_value udp_port(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  UdpBatch *h = get_handle(env, argv[0]);
  if (!h) return NULL;
  struct sockaddr_storage ss;
  socklen_t len = sizeof ss;
  if (getsockname(h->fd, (struct sockaddr *)&ss, &len) != 0)
    return throw_errno(env, "getsockname", errno);
  uint16_t port = ss.ss_family == AF_INET ? ((struct sockaddr_in *)&ss)->sin_port
                                          : ((struct sockaddr_in6 *)&ss)->sin6_port;
  napi_value out;
  CHECK(napi_create_uint32(env, ntohs(port), &out));
  return out;
}

static void on_readable(uv_poll_t *poll, int status, int events) {
  UdpBatch *h = poll->data;
  if (h->closing || h->fd < 0) return;
  (void)events;
  if (status < 0) return;
  napi_env env = h->env;
  for (int round = 0; round < MAX_ROUNDS; round++) {
    for (uint32_t i = 0; i < h->slots; i++) {
      h->iovs[i].iov_base = h->rx + (size_t)i * h->slot_size;
      h->iovs[i].iov_len = h->slot_size;
      struct msghdr *m = &h->msgs[i].msg_hdr;
      m->msg_name = &h->peers[i];
      m->msg_namelen = sizeof h->peers[i];
      m->msg_iov = &h->iovs[i];
      m->msg_iovlen = 1;
      m->msg_control = NULL;
      m->msg_controllen = 0;
      m->msg_flags = 0;
      h->msgs[i].msg_len = 0;
    }
    int n = recvmmsg(h->fd, h->msgs, h->slots, MSG_DONTWAIT, NULL);
    if (n < 0) {
      if (errno == EINTR) continue;
      return; // EAGAIN: drained; anything else: nothing to read this time
    }
    if (n == 0) return;
    for (int i = 0; i < n; i++) {
      // A datagram larger than the slot is cut by the kernel (MSG_TRUNC): report it as slot-sized
      // so JavaScript drops it like any oversized query.
      h->lens[i] = (h->msgs[i].msg_hdr.msg_flags & MSG_TRUNC) ? (int32_t)h->slot_size
                                                               : (int32_t)h->msgs[i].msg_len;
      write_addr(h->addr + (size_t)i * ADDR_LEN, &h->peers[i]);
    }
    napi_handle_scope scope;
    if (napi_open_handle_scope(env, &scope) != napi_ok) return;
    napi_value cb, recv, count, result;
    napi_get_reference_value(env, h->callback, &cb);
    napi_get_global(env, &recv); // make_callback wants an object as `this`
    napi_create_uint32(env, (uint32_t)n, &count);
    // make_callback: runs queued microtasks and nextTicks afterwards, as for any I/O callback.
    napi_status st = napi_make_callback(env, h->async, recv, cb, 1, &count, &result);

    bool pending = false;
    if (st != napi_ok) napi_is_exception_pending(env, &pending);
    if (pending) {
      napi_value err;
      napi_get_and_clear_last_exception(env, &err);
      napi_fatal_exception(env, err);
    }
    napi_close_handle_scope(env, scope);
    if (h->closing || h->fd < 0) return;
    if ((uint32_t)n < h->slots) return;
  }
}

// start(handle, rx: Buffer, lens: Int32Array, addr: Buffer, slotSize: number, cb: (n) => void)
static napi_value udp_start(napi_env env, napi_callback_info info) {
  size_t argc = 6;
  napi_value argv[6];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 6) {
    napi_throw_type_error(env, NULL, "start(handle, rx, lens, addr, slotSize, callback)");
    return NULL;
  }
  UdpBatch *h = get_handle(env, argv[0]);
  if (!h) return NULL;
  if (h->polling) {
    napi_throw_error(env, NULL, "native UDP: already started");
    return NULL;
  }
  void *rx, *addr, *lens;
  size_t rxlen, addrlen, nlens;
  napi_typedarray_type tt;
  uint32_t slot_size;
  if (napi_get_buffer_info(env, argv[1], &rx, &rxlen) != napi_ok ||
      napi_get_typedarray_info(env, argv[2], &tt, &nlens, &lens, NULL, NULL) != napi_ok ||
      tt != napi_int32_array || napi_get_buffer_info(env, argv[3], &addr, &addrlen) != napi_ok ||
      napi_get_value_uint32(env, argv[4], &slot_size) != napi_ok || slot_size == 0) {
    napi_throw_type_error(env, NULL, "start(handle, rx: Buffer, lens: Int32Array, addr: Buffer, slotSize, callback)");
    return NULL;
  }
  uint32_t slots = (uint32_t)nlens;
  if (slots == 0 || slots > MAX_SLOTS || rxlen < (size_t)slots * slot_size ||
      addrlen < (size_t)slots * ADDR_LEN) {
    napi_throw_range_error(env, NULL, "native UDP: buffers too small for the slot count (max 256)");
    return NULL;
  }
  h->rx = rx;
  h->lens = lens;
  h->addr = addr;
  h->slots = slots;
  h->slot_size = slot_size;
  CHECK(napi_create_reference(env, argv[1], 1, &h->rx_ref));
  CHECK(napi_create_reference(env, argv[2], 1, &h->lens_ref));
  CHECK(napi_create_reference(env, argv[3], 1, &h->addr_ref));
  CHECK(napi_create_reference(env, argv[5], 1, &h->callback));
  napi_value name;
  CHECK(napi_create_string_utf8(env, "BeaconUdpBatch", NAPI_AUTO_LENGTH, &name));
  CHECK(napi_async_init(env, NULL, name, &h->async));
  uv_loop_t *loop;
  CHECK(napi_get_uv_event_loop(env, &loop));
  if (uv_poll_init(loop, &h->poll, h->fd) != 0) {
    napi_throw_error(env, NULL, "native UDP: uv_poll_init failed");
    return NULL;
  }
  h->poll.data = h;
  uv_poll_start(&h->poll, UV_READABLE, on_readable);
  h->polling = 1;
  return NULL;
}

static void set_iov(struct mmsghdr *m, struct iovec *iov, void *data, size_t len,
                    struct sockaddr_storage *to, socklen_t tolen) {
  iov->iov_base = data;
  iov->iov_len = len;
  memset(&m->msg_hdr, 0, sizeof m->msg_hdr);
  m->msg_hdr.msg_name = to;
  m->msg_hdr.msg_namelen = tolen;
  m->msg_hdr.msg_iov = iov;
  m->msg_hdr.msg_iovlen = 1;
  m->msg_len = 0;
}

/** sendmmsg over msgs[0..n): a message the kernel refuses is skipped; a full buffer stops it. */
static uint32_t send_all(UdpBatch *h, struct mmsghdr *msgs, uint32_t n) {
  uint32_t sent = 0, i = 0;
  while (i < n) {
    int r = sendmmsg(h->fd, msgs + i, n - i, 0);
    if (r > 0) {
      sent += (uint32_t)r;
      i += (uint32_t)r;
      continue;
    }
    if (r < 0 && errno == EINTR) continue;
    if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS)) break;
    i++; // this datagram failed (unreachable peer, bad address): the next ones may still go
  }
  return sent;
}

// send(handle, buffers: Buffer[], slots: Int32Array, count) → datagrams sent
static napi_value udp_send(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  UdpBatch *h = get_handle(env, argv[0]);
  if (!h) return NULL;
  uint32_t count;
  void *slots;
  size_t nslots;
  napi_typedarray_type tt;
  if (argc < 4 || napi_get_value_uint32(env, argv[3], &count) != napi_ok ||
      napi_get_typedarray_info(env, argv[2], &tt, &nslots, &slots, NULL, NULL) != napi_ok ||
      tt != napi_int32_array || count > nslots || count > h->slots) {
    napi_throw_type_error(env, NULL, "send(handle, buffers, slots: Int32Array, count ≤ slots)");
    return NULL;
  }
  struct mmsghdr *out = h->out;
  struct iovec *iov = h->out_iov;
  uint32_t n = 0;
  for (uint32_t k = 0; k < count; k++) {
    int32_t slot = ((int32_t *)slots)[k];
    napi_value b;
    void *data;
    size_t len;
    if (slot < 0 || (uint32_t)slot >= h->slots || napi_get_element(env, argv[1], k, &b) != napi_ok ||
        napi_get_buffer_info(env, b, &data, &len) != napi_ok) {
      napi_throw_type_error(env, NULL, "send: bad buffer or slot");
      return NULL;
    }
    struct sockaddr_storage *to = &h->peers[slot];
    socklen_t tolen = to->ss_family == AF_INET ? sizeof(struct sockaddr_in)
                                               : sizeof(struct sockaddr_in6);
    set_iov(&out[n], &iov[n], data, len, to, tolen);
    n++;
  }
  napi_value res;
  CHECK(napi_create_uint32(env, send_all(h, out, n), &res));
  return res;
}

// sendTo(handle, buffer, addr20) → 1 if sent, 0 if not
static napi_value udp_send_to(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  UdpBatch *h = get_handle(env, argv[0]);
  if (!h) return NULL;
  void *data, *addr;
  size_t len, alen;
  if (argc < 3 || napi_get_buffer_info(env, argv[1], &data, &len) != napi_ok ||
      napi_get_buffer_info(env, argv[2], &addr, &alen) != napi_ok || alen < ADDR_LEN) {
    napi_throw_type_error(env, NULL, "sendTo(handle, buffer, addr: 20-byte Buffer)");
    return NULL;
  }
  struct sockaddr_storage to;
  socklen_t tolen = read_addr(h, addr, &to);
  uint32_t sent = 0;
  if (tolen) {
    struct mmsghdr m;
    struct iovec iov;
    set_iov(&m, &iov, data, len, &to, tolen);
    sent = send_all(h, &m, 1);
  }
  napi_value res;
  CHECK(napi_create_uint32(env, sent, &res));
  return res;
}

static void on_poll_closed(uv_handle_t *handle) {
  UdpBatch *h = handle->data;
  free(h);
}

// close(handle): stops reading, closes the socket; the handle cannot be used afterwards.
static napi_value udp_close(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  void *p = NULL;
  if (napi_get_value_external(env, argv[0], &p) != napi_ok || p == NULL) return NULL;
  UdpBatch *h = p;
  if (h->closing) return NULL;
  h->closing = 1;
  if (h->callback) napi_delete_reference(env, h->callback);
  if (h->rx_ref) napi_delete_reference(env, h->rx_ref);
  if (h->lens_ref) napi_delete_reference(env, h->lens_ref);
  if (h->addr_ref) napi_delete_reference(env, h->addr_ref);
  if (h->async) napi_async_destroy(env, h->async);
  int fd = h->fd;
  h->fd = -1;
  if (h->polling) {
    uv_poll_stop(&h->poll);
    // The memory goes when libuv is done with the poll handle; the fd after it stopped watching.
    uv_close((uv_handle_t *)&h->poll, on_poll_closed);
    close(fd);
  } else {
    close(fd);
    free(h);
  }
  return NULL;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"open", NULL, udp_open, NULL, NULL, NULL, napi_default, NULL},
      {"port", NULL, udp_port, NULL, NULL, NULL, napi_default, NULL},
      {"start", NULL, udp_start, NULL, NULL, NULL, napi_default, NULL},
      {"send", NULL, udp_send, NULL, NULL, NULL, napi_default, NULL},
      {"sendTo", NULL, udp_send_to, NULL, NULL, NULL, napi_default, NULL},
      {"close", NULL, udp_close, NULL, NULL, NULL, napi_default, NULL},
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
