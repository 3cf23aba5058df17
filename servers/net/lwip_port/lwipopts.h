/* lwIP configuration of the net server: IPv4, ARP, ICMP, UDP, TCP and raw PCBs over one
 * Ethernet link, entered by one thread at a time (NO_SYS). lwIP reads this through
 * lwip/opt.h; every option not set here keeps lwIP's default. The node build and the host
 * unit tests compile lwIP with this same file (cmake/lwip.cmake). C and C++ include it. */
#ifndef ATOLL_LWIPOPTS_H
#define ATOLL_LWIPOPTS_H

/* ---- Threading and system ------------------------------------------------------------- */

/* No OS layer: lwIP is entered by one thread at a time (the net server serialises its
 * event loop and its clients' requests), which feeds received frames in and calls
 * sys_check_timeouts(). lwIP then needs no semaphores, mailboxes or threads, and only
 * sys_now() from the port. */
#define NO_SYS 1
/* lwIP is never entered from an interrupt handler or concurrently: no critical sections. */
#define SYS_LIGHTWEIGHT_PROT 0
/* The sequential APIs need threads (NO_SYS=0); the server uses the raw callback API. */
#define LWIP_NETCONN 0
#define LWIP_SOCKET 0

/* ---- Memory ------------------------------------------------------------------------------ */

/* x86-64: 8-byte alignment for the heap and the pools. */
#define MEM_ALIGNMENT 8
/* lwIP's own heap (a static array): tcp_write copies outgoing data into it until it is
 * acknowledged, so it must hold TCP_SND_BUF for every busy connection, plus ARP-queued and
 * reassembly packets. 2 MiB covers several connections with full send buffers. */
#define MEM_SIZE (2 * 1024 * 1024)
/* Receive pbufs: a full receive window (TCP_WND) of 1460-byte segments is ~180 of them;
 * more for out-of-order segments, UDP and frames in flight through the driver. Each holds
 * one 1514-byte frame (PBUF_POOL_BUFSIZE's default from TCP_MSS). */
#define PBUF_POOL_SIZE 512
/* Unacknowledged and queued TCP segments: one per ~MSS of the send buffer, times the
 * busy connections, plus out-of-order segments kept on the receive side. */
#define MEMP_NUM_TCP_SEG 1024
/* pbufs that refer to memory lwIP does not own: tcp_write without the copy flag (sending
 * straight from a client's ring) takes one per segment until it is acknowledged, so as
 * many as there are segments. */
#define MEMP_NUM_PBUF 1024
#define MEMP_NUM_TCP_PCB 32
#define MEMP_NUM_TCP_PCB_LISTEN 8
#define MEMP_NUM_UDP_PCB 8
#define MEMP_NUM_RAW_PCB 4

/* ---- Link and network layers ------------------------------------------------------------ */

#define LWIP_IPV4 1
/* The cluster network is IPv4 only. */
#define LWIP_IPV6 0
#define LWIP_ARP 1
#define LWIP_ETHERNET 1
/* No 2-byte pad before the Ethernet header: the driver's frames start at the header. */
#define ETH_PAD_SIZE 0
/* Keep a few packets per unresolved address rather than only the newest, so that a burst
 * sent to a peer whose ARP entry expired is delayed instead of mostly lost. */
#define ARP_QUEUEING 1
#define MEMP_NUM_ARP_QUEUE 64
/* Nodes' addresses come from the command line (net_config): no DHCP, AutoIP, IGMP or DNS. */
#define LWIP_DHCP 0
#define LWIP_AUTOIP 0
#define LWIP_IGMP 0
#define LWIP_DNS 0
#define LWIP_ICMP 1
/* Raw PCBs: an ICMP echo client (ping) lives on them. */
#define LWIP_RAW 1
/* The virtual NIC offloads nothing: compute and check every checksum in software (these are
 * lwIP's defaults, restated because a driver with offload would change them). */
#define CHECKSUM_GEN_IP 1
#define CHECKSUM_GEN_UDP 1
#define CHECKSUM_GEN_TCP 1
#define CHECKSUM_GEN_ICMP 1
#define CHECKSUM_CHECK_IP 1
#define CHECKSUM_CHECK_UDP 1
#define CHECKSUM_CHECK_TCP 1
#define CHECKSUM_CHECK_ICMP 1
/* Route by source address first (the netif that owns it): a host with two interfaces on one
 * subnet, as in the unit tests, must answer from the interface a connection belongs to.
 * With one interface this changes nothing. */
#define LWIP_HOOK_FILENAME "atoll_lwip_hooks.h"
#define LWIP_HOOK_IP4_ROUTE_SRC(src, dest) atoll_lwip_route_by_source((src), (dest))

/* ---- UDP and TCP ---------------------------------------------------------------------------- */

#define LWIP_UDP 1
#define LWIP_TCP 1
/* A 1500-byte MTU minus 20 bytes of IPv4 and 20 of TCP header. */
#define TCP_MSS 1460
/* Window scaling stays available (the host tests run 256 KiB windows), but the window is
 * 64 KiB: between TCG nodes a larger one only overran the receiving QEMU (its frames were
 * dropped at the switch, and lwIP, without SACK, waited for retransmission timeouts). A
 * 64 MiB transfer ran at 32-35 MiB/s with 64 KiB, 5-15 MiB/s with 128 or 256 KiB. */
#define LWIP_WND_SCALE 1
#define TCP_WND (64 * 1024)
#define TCP_RCV_SCALE 3
/* A peer that stops answering fails a stream after 6 retransmissions (about 20 s at the
 * round trips of a cluster) instead of lwIP's 12 (minutes): a killed node is noticed. */
#define TCP_MAXRTX 6
#define TCP_SYNMAXRTX 4
/* The send buffer matches the peer's window so that one connection can fill it. */
#define TCP_SND_BUF (256 * 1024)
/* Segments queued for sending: lwIP requires at least 2 * TCP_SND_BUF / TCP_MSS; small
 * writes use more segments than full ones, hence 4x. */
#define TCP_SND_QUEUELEN (4 * TCP_SND_BUF / TCP_MSS)
/* The "writable again" threshold of the sent callback; lwIP requires it below
 * 0xffff - 4 * TCP_MSS, which the default (half of TCP_SND_BUF) is not. */
#define TCP_SNDLOWAT (32 * TCP_MSS)
/* Keep out-of-order segments: one lost frame then costs one retransmission, not a window. */
#define TCP_QUEUE_OOSEQ 1
/* Dead peers (a node that crashed or was cut off) are noticed on idle connections. */
#define LWIP_TCP_KEEPALIVE 1

/* ---- Statistics and debugging ------------------------------------------------------------- */

/* Counters for drops and errors per protocol (lwip_stats), which the server reports. */
#define LWIP_STATS 1
#define LWIP_STATS_DISPLAY 0
/* LWIP_DEBUG stays undefined (lwIP tests it with #ifdef): no debug messages. LWIP_ASSERT
 * stays on; arch/cc.h says what a failed one does. */

#endif /* ATOLL_LWIPOPTS_H */
