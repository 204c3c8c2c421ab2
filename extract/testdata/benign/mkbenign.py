#!/usr/bin/python3
"""Benign captures for flowsense's end-to-end classification test.

Made with scapy (Debian python3-scapy), deterministic (fixed seeds):

    /usr/bin/python3 extract/testdata/benign/mkbenign.py extract/testdata/benign

writes three captures of ordinary traffic from a workstation on a LAN shaped
like CIC-IDS2017's (192.168.10.0/24, DNS server 192.168.10.3):

  web.pcap       HTTPS browsing: 16 TLS sessions to 8 servers, each a full
                 handshake (SYN with MSS/SACK/timestamps/window scale), a TLS
                 exchange, one to four request/response rounds with
                 delayed ACKs, think time, and a FIN teardown
  dns.pcap       60 DNS lookups from ephemeral ports, A and AAAA answers
  download.pcap  one HTTP download of 256 KB with ACK clocking and a slow
                 start, then a keep-alive idle and the close

Round-trip times, sizes and think times are drawn from plain distributions,
not fitted to any model.
"""
import os
import random
import sys

from scapy.all import DNS, DNSQR, DNSRR, IP, TCP, UDP, Ether, Raw, wrpcap

CLIENT = "192.168.10.15"
DNS_SERVER = "192.168.10.3"
MAC_C, MAC_GW = "00:1e:4f:aa:10:15", "00:1e:4f:aa:10:01"
MSS = 1460


class Conn:
    """A TCP connection written packet by packet with correct sequence numbers."""

    def __init__(self, pkts, t, server, dport, rtt, rng):
        self.p, self.t, self.rng = pkts, t, rng
        self.srv, self.dport, self.rtt = server, dport, rtt
        self.sport = rng.randint(32768, 60999)
        self.cseq, self.sseq = rng.getrandbits(32), rng.getrandbits(32)
        self.cwin, self.swin = 229, 235  # scaled windows after the handshake

    def _emit(self, from_client, flags, payload=b"", win=None, opts=None):
        if from_client:
            ip = IP(src=CLIENT, dst=self.srv, ttl=64, id=self.rng.getrandbits(16))
            tcp = TCP(sport=self.sport, dport=self.dport, flags=flags, seq=self.cseq, ack=self.sseq if "A" in flags else 0,
                      window=win if win is not None else self.cwin, options=opts or [])
            eth = Ether(src=MAC_C, dst=MAC_GW)
            self.cseq = (self.cseq + len(payload) + (1 if ("S" in flags or "F" in flags) else 0)) % 2**32
        else:
            ip = IP(src=self.srv, dst=CLIENT, ttl=52, id=self.rng.getrandbits(16))
            tcp = TCP(sport=self.dport, dport=self.sport, flags=flags, seq=self.sseq, ack=self.cseq,
                      window=win if win is not None else self.swin, options=opts or [])
            eth = Ether(src=MAC_GW, dst=MAC_C)
            self.sseq = (self.sseq + len(payload) + (1 if ("S" in flags or "F" in flags) else 0)) % 2**32
        pkt = eth / ip / tcp
        if payload:
            pkt = pkt / Raw(payload)
        pkt.time = self.t
        self.p.append(pkt)

    def wait(self, s):
        self.t += s

    def jitter(self):
        return self.rtt * self.rng.uniform(0.9, 1.2)

    def handshake(self):
        ts = [("MSS", MSS), ("SAckOK", b""), ("Timestamp", (self.rng.getrandbits(32), 0)), ("NOP", None), ("WScale", 7)]
        self._emit(True, "S", win=29200, opts=ts)
        self.wait(self.jitter())
        self._emit(False, "SA", win=28960, opts=[("MSS", MSS), ("SAckOK", b""), ("NOP", None), ("WScale", 7)])
        self.wait(0.00008)
        self._emit(True, "A")

    def send(self, from_client, n):
        """n bytes in MSS segments, the receiver ACKing every second one."""
        segs = 0
        while n > 0:
            k = min(MSS, n)
            n -= k
            self._emit(from_client, "PA" if n == 0 else "A", bytes(self.rng.getrandbits(8) for _ in range(16)) * (k // 16) + b"x" * (k % 16))
            segs += 1
            self.wait(self.rng.uniform(0.00001, 0.0002))
            if segs % 2 == 0 or n == 0:
                self._emit(not from_client, "A")
                self.wait(self.rng.uniform(0.00002, 0.0003))

    def exchange(self, req, resp):
        self.send(True, req)
        self.wait(self.jitter() + self.rng.uniform(0.001, 0.03))  # server think time
        self.send(False, resp)

    def close(self):
        self._emit(True, "FA")
        self.wait(self.jitter())
        self._emit(False, "FA")
        self.wait(0.00005)
        self._emit(True, "A")


def web(rng):
    pkts, t = [], 1499256000.0
    servers = ["104.16.%d.%d" % (rng.randint(0, 255), rng.randint(1, 254)) for _ in range(8)]
    for _ in range(16):
        c = Conn(pkts, t, rng.choice(servers), 443, rng.uniform(0.015, 0.06), rng)
        c.handshake()
        c.exchange(517, rng.randint(3000, 5200))  # ClientHello; ServerHello, certificate
        c.exchange(rng.randint(90, 130), 51)       # key exchange, finished
        for _ in range(rng.randint(1, 4)):
            c.wait(rng.uniform(0.05, 3.0))            # the user reads
            c.exchange(rng.randint(350, 900), rng.randint(800, 24000))
        c.wait(rng.uniform(0.5, 4.0))
        c.close()
        t += rng.uniform(0.3, 6.0)
    return pkts


def dns(rng):
    pkts, t = [], 1499257000.0
    names = ["www.example.com", "mail.example.org", "cdn.example.net", "updates.example.com", "news.example.org"]
    for i in range(60):
        name = rng.choice(names)
        qtype = rng.choice(["A", "AAAA"])
        sport, qid = rng.randint(32768, 60999), rng.getrandbits(16)
        q = Ether(src=MAC_C, dst=MAC_GW) / IP(src=CLIENT, dst=DNS_SERVER) / UDP(sport=sport, dport=53) / \
            DNS(id=qid, rd=1, qd=DNSQR(qname=name, qtype=qtype))
        q.time = t
        rdata = "93.184.216.%d" % rng.randint(1, 254) if qtype == "A" else "2606:2800:220:1:248:1893:25c8:%x" % rng.randint(1, 0xfff)
        a = Ether(src=MAC_GW, dst=MAC_C) / IP(src=DNS_SERVER, dst=CLIENT) / UDP(sport=53, dport=sport) / \
            DNS(id=qid, qr=1, rd=1, ra=1, qd=DNSQR(qname=name, qtype=qtype), an=DNSRR(rrname=name, type=qtype, ttl=300, rdata=rdata))
        a.time = t + rng.uniform(0.0005, 0.02)
        pkts += [q, a]
        t += rng.uniform(0.2, 8.0)
    return pkts


def download(rng):
    pkts = []
    c = Conn(pkts, 1499258000.0, "151.101.1.69", 80, 0.025, rng)
    c.handshake()
    c.exchange(420, 256 * 1024)
    c.wait(4.5)
    c.close()
    return pkts


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(os.path.abspath(__file__))
    for name, make, seed in [("web.pcap", web, 1), ("dns.pcap", dns, 2), ("download.pcap", download, 3)]:
        pkts = make(random.Random(seed))
        pkts.sort(key=lambda p: float(p.time))
        wrpcap(os.path.join(out, name), pkts)
        print("%s: %d packets" % (name, len(pkts)))


if __name__ == "__main__":
    main()
