/* Connection guard: caps and a request-read deadline for the thread-per-
 * connection daemon, so that idle or trickling clients (slowloris) cannot
 * take every connection thread.
 *
 * libmicrohttpd's own timeout is an idle timeout (reset by every byte), so a
 * client sending one byte every few seconds keeps its thread forever; its
 * per-IP limit rejects a same-address client as soon as the attacker holds
 * that many sockets, and at its total limit it stops accepting, leaving new
 * clients in the kernel's backlog. The guard instead:
 *   - tracks every connection (accept policy and connection notifications),
 *     and whether it is reading a request (from its first byte's wait to the
 *     last byte of the body) or being answered;
 *   - closes (shutdown) a connection that is still reading a request
 *     `deadline_s` after it started waiting for it: a total, not per read,
 *     deadline for the header and body;
 *   - on accept, beyond the per-IP or the total cap, closes the oldest
 *     connection still reading a request (of that address, or of any when the
 *     total cap is hit) to make room, and refuses the new one at once when
 *     there is none.
 * So a client that sends its request promptly is served while hundreds of
 * idle sockets are open, even from the same address (loopback).
 *
 * Thread safety: every entry point takes the guard's lock. An entry is
 * removed in the closed notification, which libmicrohttpd makes before it
 * closes the socket, so shutdown() under the lock never hits a reused
 * descriptor. */
#include "server/internal.h"

#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

struct server_guard_conn {
  int used;
  int fd;
  unsigned char ip[16]; /* IPv6 or v4-mapped */
  double since_s;       /* when the current request wait started (monotonic) */
  int reading;          /* 1 while reading a request (or waiting for one) */
  int doomed;           /* shut down, waiting for libmicrohttpd to clean up */
};

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* The address as 16 bytes (IPv4 as v4-mapped IPv6); 0 for an unknown family. */
static int ip_key(const struct sockaddr *addr, unsigned char key[16]) {
  memset(key, 0, 16);
  if (addr == NULL) {
    return 0;
  }
  if (addr->sa_family == AF_INET) {
    const struct sockaddr_in *a4 = (const struct sockaddr_in *)(const void *)addr;
    key[10] = 0xff;
    key[11] = 0xff;
    memcpy(key + 12, &a4->sin_addr, 4);
    return 1;
  }
  if (addr->sa_family == AF_INET6) {
    const struct sockaddr_in6 *a6 = (const struct sockaddr_in6 *)(const void *)addr;
    memcpy(key, &a6->sin6_addr, 16);
    return 1;
  }
  return 0;
}

static void doom(server_guard *g, server_guard_conn *e) {
  e->doomed = 1;
  g->closed_count++;
  if (e->fd >= 0) {
    /* wakes the connection's thread: its read sees end of file and it
     * closes the connection */
    shutdown(e->fd, SHUT_RDWR);
  }
}

/* Close the oldest connection still reading a request (of `ip` when not
 * NULL); 1 when one was closed. Lock held. */
static int evict_oldest(server_guard *g, const unsigned char *ip) {
  server_guard_conn *victim = NULL;
  for (size_t i = 0; i < g->n_slots; i++) {
    server_guard_conn *e = &g->slots[i];
    if (!e->used || e->doomed || !e->reading || (ip != NULL && memcmp(e->ip, ip, 16) != 0)) {
      continue;
    }
    if (victim == NULL || e->since_s < victim->since_s) {
      victim = e;
    }
  }
  if (victim == NULL) {
    return 0;
  }
  doom(g, victim);
  return 1;
}

static void *watchdog(void *arg) {
  server_guard *g = arg;
  pthread_mutex_lock(&g->lock);
  while (!g->stopping) {
    double t = now_s();
    for (size_t i = 0; i < g->n_slots; i++) {
      server_guard_conn *e = &g->slots[i];
      if (e->used && !e->doomed && e->reading && t - e->since_s > g->deadline_s) {
        doom(g, e);
      }
    }
    struct timespec until;
    clock_gettime(CLOCK_MONOTONIC, &until);
    until.tv_nsec += 100000000L; /* 0.1 s: closes within deadline + 0.1 s */
    if (until.tv_nsec >= 1000000000L) {
      until.tv_sec++;
      until.tv_nsec -= 1000000000L;
    }
    pthread_cond_timedwait(&g->wake, &g->lock, &until);
  }
  pthread_mutex_unlock(&g->lock);
  return NULL;
}

int server_guard_init(server_guard *g, unsigned max_total, unsigned max_per_ip, double deadline_s) {
  memset(g, 0, sizeof *g);
  g->max_total = max_total;
  g->max_per_ip = max_per_ip;
  g->deadline_s = deadline_s;
  /* room for the connections being torn down beside the live ones */
  g->n_slots = (size_t)max_total * 2 + 16;
  g->slots = calloc(g->n_slots, sizeof *g->slots);
  if (g->slots == NULL) {
    return -1;
  }
  pthread_condattr_t ca;
  pthread_condattr_init(&ca);
  pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
  pthread_cond_init(&g->wake, &ca);
  pthread_condattr_destroy(&ca);
  pthread_mutex_init(&g->lock, NULL);
  if (pthread_create(&g->thread, NULL, watchdog, g) != 0) {
    pthread_cond_destroy(&g->wake);
    pthread_mutex_destroy(&g->lock);
    free(g->slots);
    g->slots = NULL;
    return -1;
  }
  g->started = 1;
  return 0;
}

void server_guard_stop(server_guard *g) {
  if (!g->started) {
    return;
  }
  pthread_mutex_lock(&g->lock);
  g->stopping = 1;
  pthread_cond_signal(&g->wake);
  pthread_mutex_unlock(&g->lock);
  pthread_join(g->thread, NULL);
  g->started = 0;
}

void server_guard_free(server_guard *g) {
  server_guard_stop(g);
  if (g->slots != NULL) {
    pthread_cond_destroy(&g->wake);
    pthread_mutex_destroy(&g->lock);
    free(g->slots);
    g->slots = NULL;
  }
}

int server_guard_accept(server_guard *g, const struct sockaddr *addr) {
  unsigned char ip[16];
  int known = ip_key(addr, ip);
  pthread_mutex_lock(&g->lock);
  unsigned total = 0;
  unsigned same = 0;
  size_t free_slots = 0;
  for (size_t i = 0; i < g->n_slots; i++) {
    const server_guard_conn *e = &g->slots[i];
    if (!e->used) {
      free_slots++;
    } else if (!e->doomed) {
      total++;
      same += known && memcmp(e->ip, ip, 16) == 0;
    }
  }
  int ok = free_slots > 0;
  if (ok && known && same >= g->max_per_ip) {
    ok = evict_oldest(g, ip);
    total -= (unsigned)ok; /* the evicted one no longer counts */
  }
  if (ok && total >= g->max_total) {
    ok = evict_oldest(g, NULL);
  }
  if (!ok) {
    g->refused_count++;
  }
  pthread_mutex_unlock(&g->lock);
  return ok;
}

void server_guard_started(server_guard *g, struct MHD_Connection *c, void **socket_context) {
  const union MHD_ConnectionInfo *fi =
      MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
  const union MHD_ConnectionInfo *ai =
      MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
  pthread_mutex_lock(&g->lock);
  server_guard_conn *slot = NULL;
  for (size_t i = 0; i < g->n_slots && slot == NULL; i++) {
    if (!g->slots[i].used) {
      slot = &g->slots[i];
    }
  }
  if (slot != NULL) {
    memset(slot, 0, sizeof *slot);
    slot->used = 1;
    slot->fd = fi != NULL ? (int)fi->connect_fd : -1;
    ip_key(ai != NULL ? ai->client_addr : NULL, slot->ip);
    slot->since_s = now_s();
    slot->reading = 1;
    if (slot->fd < 0) {
      slot->used = 0; /* cannot be closed from here; leave it to the idle timeout */
      slot = NULL;
    }
  }
  *socket_context = slot;
  pthread_mutex_unlock(&g->lock);
}

void server_guard_closed(server_guard *g, void **socket_context) {
  server_guard_conn *e = *socket_context;
  if (e == NULL) {
    return;
  }
  pthread_mutex_lock(&g->lock);
  e->used = 0;
  e->fd = -1;
  pthread_mutex_unlock(&g->lock);
  *socket_context = NULL;
}

static server_guard_conn *entry_of(struct MHD_Connection *c) {
  const union MHD_ConnectionInfo *si =
      MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
  return si != NULL ? si->socket_context : NULL;
}

void server_guard_reading(server_guard *g, struct MHD_Connection *c, int reading) {
  server_guard_conn *e = entry_of(c);
  if (e == NULL) {
    return;
  }
  pthread_mutex_lock(&g->lock);
  if (e->used) {
    e->reading = reading;
    if (reading) {
      e->since_s = now_s();
    }
  }
  pthread_mutex_unlock(&g->lock);
}
