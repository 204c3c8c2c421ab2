package synth

// The class generators. Each fills a flow with packet counts, length bounds
// and totals, a duration and the shape of its gaps, flags and windows; the
// row writer derives the rest. Durations are microseconds, lengths payload
// bytes. The numbers are chosen by eye from CIC-IDS2017 and common sense,
// not fitted.

const (
	tcp  = 6
	udp  = 17
	icmp = 1
)

// victim is the attacked server (CIC-IDS2017's 192.168.10.50) and attacker
// the attackers' NAT address (172.16.0.1).
var (
	victim   = ip4(192, 168, 10, 50)
	attacker = ip4(172, 16, 0, 1)
	resolver = ip4(192, 168, 10, 3)
)

// servicePorts are ports of ordinary services on the network.
var servicePorts = [...]int64{25, 587, 993, 143, 110, 389, 636, 88, 445, 139, 3389, 5432, 3306, 8080, 8443, 9200, 6379, 135}

// scanPorts are the ports a port scan tries first.
var scanPorts = [...]int64{21, 22, 23, 25, 53, 80, 110, 111, 135, 139, 143, 443, 445, 993, 995, 1723, 3306, 3389, 5900, 8080, 8443, 8888, 1025, 199, 587, 554, 113, 256, 1720, 5432}

// oddPorts are the unusual ports exfiltration favours.
var oddPorts = [...]int64{4444, 1337, 9001, 6667, 31337, 2222, 5555, 7777, 8081, 1443, 4433, 9999}

// sizes sets one direction's packet lengths: n packets with minimum lo,
// maximum hi, and the others averaging mid. It returns the total.
func sizes(n, lo, hi int64, mid float64) (int64, int64, int64) {
	switch {
	case n <= 0:
		return 0, 0, 0
	case n == 1:
		return hi, hi, hi
	case n == 2:
		return lo, hi, lo + hi
	}
	mid = max(float64(lo), min(mid, float64(hi)))
	return lo, hi, lo + hi + int64(mid*float64(n-2)+0.5)
}

func (f *flow) fwd(lo, hi int64, mid float64) { f.fLo, f.fHi, f.fTot = sizes(f.nf, lo, hi, mid) }
func (f *flow) bwd(lo, hi int64, mid float64) { f.bLo, f.bHi, f.bTot = sizes(f.nb, lo, hi, mid) }

// gaps returns the number of inter-arrival gaps.
func (f *flow) gaps() int64 { return f.nf + f.nb - 1 }

// session sets the flags of a TCP session: a handshake (or none when the
// capture began mid-flow), data pushed, usually a FIN each way.
func (g *gen) session(f *flow, handshake bool) {
	n := f.nf + f.nb
	f.ack = n
	if handshake {
		f.syn = min(2, n)
		f.ack = n - 1
	}
	switch r := g.r.Float64(); {
	case r < 0.6:
		f.fin = 2
	case r < 0.8:
		f.fin = 1
	}
	if g.chance(0.12) {
		f.rst = 1
	}
	f.psh = 1 + int64(float64(n)*g.uni(0.2, 0.6))
	f.initF, f.initB = g.clientWin(), g.serverWin()
}

// ratedDuration is the duration of a transfer of the flow's bytes at a
// log-normal throughput around median bytes/s.
func (g *gen) ratedDuration(f *flow, median, sigma float64) int64 {
	thr := g.logn(median, sigma)
	return clampf(float64(f.fTot+f.bTot)/thr*1e6, f.gaps(), 3600e6)
}

// ---- BENIGN ----

func (g *gen) benign(f *flow) {
	switch r := g.r.Float64(); {
	case r < 0.40:
		g.web(f)
	case r < 0.58:
		g.dns(f)
	case r < 0.64:
		g.ssh(f)
	case r < 0.74:
		g.bulk(f)
	case r < 0.87:
		g.service(f)
	case r < 0.94:
		g.refused(f)
	default:
		g.udpMisc(f)
	}
}

// web is an HTTP(S) page load; one in five is a keep-alive connection that
// sits idle most of its life.
func (g *gen) web(f *flow) {
	f.proto, f.src, f.dst, f.sport = tcp, g.client(), g.server(), g.ephemeral()
	switch r := g.r.Float64(); {
	case r < 0.70:
		f.dport = 443
	case r < 0.95:
		f.dport = 80
	default:
		f.dport = 8080
	}
	f.nf = 2 + g.ilogn(6, 1.0, 0, 5000)
	f.nb = clampf(float64(f.nf)*g.logn(1.1, 0.3), 1, 20000)
	f.fwd(0, g.ilogn(450, 0.5, 1, 1460), g.logn(60, 0.8))
	bhi := int64(1460)
	if g.chance(0.2) {
		bhi = g.ilogn(700, 0.6, 1, 1460)
	}
	f.bwd(0, bhi, float64(bhi)*g.uni(0.3, 0.95))
	if g.chance(0.2) {
		f.dur = g.irange(5_000_000, 120_000_000)
		f.gapHi = g.uni(0.8, 0.99)
	} else {
		f.dur = g.ilogn(250_000, 1.4, f.gaps(), 300_000_000)
		f.gapHi = g.uni(0.1, 0.7)
	}
	f.gapLo = g.uni(0, 0.3)
	f.fSpan, f.bSpan = g.uni(0.6, 1), g.uni(0.5, 0.99)
	g.session(f, g.chance(0.92))
}

// dns is a query and its answer (sometimes unanswered or retried).
func (g *gen) dns(f *flow) {
	f.proto, f.src, f.sport, f.dport = udp, g.client(), g.irange(1024, 65535), 53
	f.dst = resolver
	if g.chance(0.3) {
		f.dst = uint32(g.pick(int64(ip4(8, 8, 8, 8)), int64(ip4(1, 1, 1, 1)), int64(ip4(9, 9, 9, 9))))
	}
	f.nf = 1
	if g.chance(0.08) {
		f.nf = 2
	}
	if g.chance(0.88) {
		f.nb = f.nf
	}
	q := g.ilogn(38, 0.25, 17, 300)
	f.fwd(q, q, float64(q))
	a := g.ilogn(110, 0.6, 30, 1400)
	f.bwd(a, a, float64(a))
	switch {
	case f.nb > 0:
		f.dur = g.ilogn(15_000, 1.2, 50, 5_000_000)
	case f.nf > 1:
		f.dur = g.ilogn(1_000_000, 0.5, 1000, 10_000_000)
	}
	f.gapHi, f.gapLo = g.uni(0.5, 1), g.uni(0.2, 1)
	f.fSpan, f.bSpan = g.uni(0.5, 1), g.uni(0.5, 1)
}

// ssh is an interactive session (long, many small packets) or a scripted
// one (git, scp, configuration management: short, a few dozen packets).
func (g *gen) ssh(f *flow) {
	f.proto, f.src, f.sport, f.dport = tcp, g.client(), g.ephemeral(), 22
	f.dst = victim
	if g.chance(0.5) {
		f.dst = g.server()
	}
	if g.chance(0.6) {
		f.nf = g.ilogn(300, 1.2, 20, 200_000)
		f.nb = clampf(float64(f.nf)*g.uni(0.8, 1.3), 1, 300_000)
		f.fwd(0, g.ilogn(1000, 0.3, 300, 1460), g.logn(44, 0.3))
		f.bwd(0, g.ilogn(1300, 0.2, 300, 1460), g.logn(80, 0.8))
		f.dur = g.ilogn(120e6, 1.2, 1_000_000, 7200e6)
		f.gapHi = g.uni(0.02, 0.4)
	} else {
		f.nf = g.ilogn(25, 0.6, 8, 400)
		f.nb = clampf(float64(f.nf)*g.uni(0.8, 1.4), 1, 600)
		f.fwd(0, g.ilogn(1100, 0.2, 300, 1460), g.logn(150, 0.8))
		f.bwd(0, g.ilogn(1200, 0.2, 300, 1460), g.logn(300, 0.9))
		f.dur = g.ilogn(1_500_000, 0.8, 50_000, 60e6)
		f.gapHi = g.uni(0.1, 0.6)
	}
	f.gapLo = g.uni(0, 0.2)
	f.fSpan, f.bSpan = g.uni(0.8, 1), g.uni(0.8, 1)
	g.session(f, true)
	f.psh = int64(float64(f.nf+f.nb) * g.uni(0.6, 0.9))
}

// bulk is a large download or upload; an upload sometimes goes to an odd
// port (backup agents, sync tools).
func (g *gen) bulk(f *flow) {
	f.proto, f.src, f.dst, f.sport = tcp, g.client(), g.server(), g.ephemeral()
	f.nf = g.ilogn(800, 1.5, 20, 300_000)
	if g.chance(0.7) {
		f.dport = g.pick(443, 443, 443, 443, 443, 80, 80, 445, 873, 20)
		f.nb = clampf(float64(f.nf)*g.uni(1.2, 2.5), 1, 800_000)
		f.fwd(0, g.ilogn(500, 0.4, 1, 1460), g.uni(0, 8))
		f.bwd(0, g.pick(1460, 1448), g.uni(1000, 1440))
	} else {
		switch r := g.r.Float64(); {
		case r < 0.6:
			f.dport = 443
		case r < 0.7:
			f.dport = 22
		case r < 0.8:
			f.dport = 445
		case r < 0.85:
			f.dport = 873
		default:
			f.dport = g.irange(1024, 65535)
		}
		f.fwd(0, g.pick(1460, 1448), g.uni(1000, 1440))
		f.nb = clampf(float64(f.nf)*g.uni(0.4, 0.7), 1, 300_000)
		bhi := g.ilogn(60, 0.8, 0, 1460)
		if f.dport == 443 {
			bhi = g.ilogn(1300, 0.2, 0, 1460)
		}
		f.bwd(0, bhi, g.uni(0, 6))
	}
	f.dur = g.ratedDuration(f, 2e6, 1.0)
	f.gapHi, f.gapLo = g.uni(0.005, 0.2), g.uni(0, 0.2)
	f.fSpan, f.bSpan = g.uni(0.9, 1), g.uni(0.9, 1)
	g.session(f, true)
}

// service is a short connection to an ordinary service, an FTP control
// session, or a health check that opens and closes without data.
func (g *gen) service(f *flow) {
	f.proto, f.src, f.sport = tcp, g.client(), g.ephemeral()
	f.dst = g.client()
	if g.chance(0.3) {
		f.dst = g.server()
	}
	switch r := g.r.Float64(); {
	case r < 0.12: // FTP control session
		f.dport = 21
		f.nf = g.ilogn(15, 0.6, 4, 500)
		f.nb = clampf(float64(f.nf)*g.uni(0.9, 1.3), 1, 700)
		f.fwd(0, g.ilogn(40, 0.4, 5, 200), g.logn(14, 0.4))
		f.bwd(0, g.ilogn(120, 0.5, 20, 600), g.logn(40, 0.5))
		f.dur = g.ilogn(20e6, 1.2, 100_000, 3600e6)
		f.gapHi = g.uni(0.1, 0.8)
		g.session(f, true)
	case r < 0.22: // health check: handshake, close
		f.dport = servicePorts[g.r.IntN(len(servicePorts))]
		g.openClose(f)
		return
	default:
		f.dport = servicePorts[g.r.IntN(len(servicePorts))]
		f.nf = g.ilogn(8, 0.7, 2, 2000)
		f.nb = clampf(float64(f.nf)*g.logn(1, 0.3), 1, 4000)
		f.fwd(0, g.ilogn(300, 0.8, 1, 1460), g.logn(80, 1))
		f.bwd(0, g.ilogn(600, 0.8, 1, 1460), g.logn(200, 1))
		f.dur = g.ilogn(200_000, 1.5, f.gaps(), 600e6)
		f.gapHi = g.uni(0.1, 0.8)
		g.session(f, true)
	}
	f.gapLo = g.uni(0, 0.3)
	f.fSpan, f.bSpan = g.uni(0.6, 1), g.uni(0.5, 1)
}

// openClose is a connection that completes the handshake and closes with
// no data: health checks, and attack tools' aborted attempts.
func (g *gen) openClose(f *flow) {
	f.nf, f.nb = g.irange(2, 3), g.irange(1, 2)
	f.dur = g.ilogn(2000, 1.5, f.gaps(), 10_000_000)
	f.gapHi, f.gapLo = g.uni(0.4, 0.9), g.uni(0, 0.5)
	f.fSpan, f.bSpan = g.uni(0.5, 1), g.uni(0.5, 1)
	f.syn, f.fin, f.ack = 2, g.irange(1, 2), f.nf+f.nb-1
	f.initF, f.initB = g.clientWin(), g.serverWin()
}

// refused is a connection attempt that is refused (RST) or unanswered (SYN
// retransmissions with exponential back-off).
func (g *gen) refused(f *flow) {
	f.proto, f.src, f.sport = tcp, g.client(), g.ephemeral()
	f.dst = g.client()
	if g.chance(0.5) {
		f.dst = g.server()
	}
	if g.chance(0.5) {
		f.dport = servicePorts[g.r.IntN(len(servicePorts))]
	} else {
		f.dport = g.irange(1024, 65535)
	}
	g.syns(f, g.chance(0.6))
}

// syns fills a flow of bare SYNs, answered by one RST or not at all.
func (g *gen) syns(f *flow, answered bool) {
	f.nf = 1
	if g.chance(0.3) {
		f.nf = g.irange(2, 4)
	}
	// Back-off 1 s, 2 s, 4 s: the last gap is about half the span.
	backoff := float64(int64(1)<<(f.nf-1)-1) * 1e6
	f.dur = clampf(backoff*g.uni(0.98, 1.05), 0, 60e6)
	f.gapHi, f.gapLo = 0.5, 0.5
	f.syn, f.initF = f.nf, g.clientWin()
	if answered {
		f.nb, f.rst, f.ack = 1, 1, 1
		f.dur += g.ilogn(400, 1.0, 1, 1_000_000)
	}
	f.fSpan, f.bSpan = 0.99, 0
}

// udpMisc is one of the small UDP services of a LAN: NTP, NetBIOS name
// service, SSDP, mDNS, LLMNR.
func (g *gen) udpMisc(f *flow) {
	f.proto, f.src = udp, g.client()
	var size int64
	switch g.r.IntN(5) {
	case 0:
		f.sport, f.dport, f.dst = 123, 123, g.server()
		f.nf, f.nb, size = 1, 1, 48
		f.bwd(48, 48, 48)
	case 1:
		f.sport, f.dport, f.dst = 137, 137, g.client()
		f.nf, f.nb, size = g.irange(1, 3), g.irange(0, 1), 50
		f.bwd(229, 229, 229)
	case 2:
		f.sport, f.dport, f.dst = g.ephemeral(), 1900, ip4(239, 255, 255, 250)
		f.nf, size = g.irange(1, 4), g.irange(130, 300)
	case 3:
		f.sport, f.dport, f.dst = 5353, 5353, ip4(224, 0, 0, 251)
		f.nf, size = g.irange(1, 3), g.irange(40, 400)
	default:
		f.sport, f.dport, f.dst = g.ephemeral(), 5355, ip4(224, 0, 0, 252)
		f.nf, size = g.irange(1, 2), g.irange(30, 60)
	}
	f.fwd(size, size, float64(size))
	if f.nb > 0 {
		f.dur = g.ilogn(20_000, 1, 10, 5_000_000)
	} else {
		f.dur = g.ilogn(1_000_000, 1, 1000, 30_000_000)
	}
	f.gapHi, f.gapLo = g.uni(0.4, 1), g.uni(0.3, 1)
	f.fSpan, f.bSpan = g.uni(0.5, 1), 0
}

// ---- attacks ----

// attempt is an attack tool's failed or aborted connection: refused, or
// opened and closed with no data. It looks like benign traffic.
func (g *gen) attempt(f *flow) {
	if g.chance(0.5) {
		g.syns(f, true)
	} else {
		g.openClose(f)
	}
}

// attemptRate is the share of each attack's flows that are failed attempts.
const attemptRate = 0.04

// synFlood is a flood of spoofed SYNs at a web server: mostly lone SYNs,
// some answered by a SYN-ACK (and its retransmissions), a few carrying a
// payload (hping's -d).
func (g *gen) synFlood(f *flow) {
	f.proto, f.dst, f.sport = tcp, victim, g.irange(1024, 65535)
	f.src = attacker
	if g.chance(0.5) {
		f.src = g.server()
	}
	switch r := g.r.Float64(); {
	case r < 0.85:
		f.dport = 80
	case r < 0.95:
		f.dport = 443
	default:
		f.dport = 8080
	}
	f.nf = 1
	switch r := g.r.Float64(); {
	case r < 0.65:
	case r < 0.85:
		f.nb = 1
		f.dur = g.ilogn(150, 1.0, 1, 100_000)
	case r < 0.93:
		f.nb = g.irange(2, 3)
		f.dur = clampf(float64(int64(1)<<(f.nb-1)-1)*1e6*g.uni(0.98, 1.05), 1, 10e6)
	default:
		f.nf, f.nb = g.irange(2, 3), g.irange(0, 1)
		f.dur = g.ilogn(2000, 2.0, 1, 30e6)
	}
	if g.chance(0.12) {
		s := g.pick(20, 64, 120, 512, 1000, 1200)
		f.fwd(s, s, float64(s))
	}
	f.gapHi, f.gapLo = g.uni(0.4, 1), g.uni(0.3, 1)
	f.fSpan, f.bSpan = g.uni(0.5, 1), g.uni(0.5, 1)
	f.syn, f.ack = f.nf+f.nb, f.nb
	if g.chance(0.05) {
		f.rst = 1
	}
	if g.chance(0.7) {
		f.initF = g.pick(512, 1024, 64, 8192, 5840)
	} else {
		f.initF = g.irange(0, 65535)
	}
	if f.nb > 0 {
		f.initB = g.serverWin()
	}
}

// portScan is a SYN scan (closed, open or filtered port) or a connect scan
// of the victim network.
func (g *gen) portScan(f *flow) {
	f.proto, f.sport = tcp, g.irange(30000, 65535)
	f.src = attacker
	if g.chance(0.3) {
		f.src = g.client()
	}
	f.dst = ip4(192, 168, 10, g.irange(3, 60))
	if g.chance(0.65) {
		f.dport = scanPorts[g.r.IntN(len(scanPorts))]
	} else {
		f.dport = g.irange(1, 65535)
	}
	connect := g.chance(0.15)
	switch r := g.r.Float64(); {
	case r < 0.80: // closed: SYN, RST-ACK
		f.nf, f.nb = 1, 1
		f.dur = g.ilogn(60, 0.8, 1, 50_000)
		f.syn, f.rst, f.ack = 1, 1, 1
	case r < 0.94: // open: SYN, SYN-ACK, (ACK,) RST
		f.nf, f.nb = 2, 1
		if connect {
			f.nf = 3
		}
		f.dur = g.ilogn(90, 0.8, 2, 50_000)
		f.syn, f.rst, f.ack = 2, 1, f.nf-1
		f.initB = g.serverWin()
	default: // filtered: no answer
		f.nf = 1
		f.syn = 1
	}
	f.initF = g.pick(1024, 2048, 3072, 4096)
	if connect {
		f.initF = g.clientWin()
	}
	f.gapHi, f.gapLo = g.uni(0.4, 1), g.uni(0.3, 1)
	f.fSpan, f.bSpan = g.uni(0.5, 1), 0
}

// bruteForce is one login attempt of a password-guessing tool against SSH
// or FTP: a regular, short exchange with the server's failure delay.
func (g *gen) bruteForce(f *flow) {
	f.proto, f.dst, f.sport = tcp, victim, g.ephemeral()
	f.src = attacker
	ssh := g.chance(0.65)
	f.dport = 21
	if ssh {
		f.dport = 22
	}
	if g.chance(attemptRate) {
		g.attempt(f)
		return
	}
	if ssh {
		f.nf = g.irange(12, 25)
		f.nb = f.nf + g.irange(-1, 4)
		f.fwd(0, g.ilogn(1350, 0.05, 300, 1460), g.logn(95, 0.25))
		f.bwd(0, g.ilogn(1100, 0.15, 300, 1460), g.logn(150, 0.3))
		f.dur = g.ilogn(2_500_000, 0.5, 100_000, 30e6)
		f.gapHi = g.uni(0.25, 0.7)
	} else {
		f.nf = g.irange(6, 14)
		f.nb = f.nf + g.irange(0, 3)
		f.fwd(0, g.irange(14, 32), g.logn(11, 0.3))
		f.bwd(0, g.irange(60, 110), g.logn(30, 0.3))
		f.dur = g.ilogn(3_000_000, 0.6, 50_000, 60e6)
		f.gapHi = g.uni(0.3, 0.8)
	}
	f.gapLo = g.uni(0, 0.2)
	f.fSpan, f.bSpan = g.uni(0.8, 1), g.uni(0.8, 1)
	g.session(f, true)
	if g.chance(0.8) {
		f.initF = 29200
	}
}

// slowDoS is a slowloris-like connection (a partial request, then a header
// line every ten seconds or so to keep the server waiting) or a
// slowhttptest-like one (a request, then a long silence).
func (g *gen) slowDoS(f *flow) {
	f.proto, f.dst, f.sport = tcp, victim, g.ephemeral()
	f.src = attacker
	switch r := g.r.Float64(); {
	case r < 0.85:
		f.dport = 80
	case r < 0.95:
		f.dport = 443
	default:
		f.dport = 8080
	}
	if g.chance(attemptRate) {
		g.attempt(f)
		return
	}
	if g.chance(0.35) {
		// slowhttptest-like: a request, then one long silence.
		f.nf, f.nb = g.irange(3, 6), g.irange(2, 4)
		f.fwd(0, g.ilogn(400, 0.3, 100, 1400), g.logn(20, 0.6))
		f.bwd(0, 0, 0)
		f.dur = g.ilogn(80e6, 0.4, 6e6, 600e6)
		f.gapHi, f.gapLo = g.uni(0.85, 0.99), g.uni(0, 0.5)
		f.fSpan, f.bSpan = g.uni(0.85, 1), g.uni(0.3, 1)
		g.session(f, true)
		f.psh = 1
		return
	}
	f.nf = 2 + g.ilogn(5, 0.8, 1, 300)
	switch r := g.r.Float64(); {
	case r < 0.5:
		f.nb = clampf(float64(f.nf)*g.uni(0.3, 1), 1, 300)
	case r < 0.8:
		f.nb = 1
	default:
		f.nb = 2
	}
	f.fwd(0, g.ilogn(240, 0.3, 50, 1000), g.logn(14, 0.5))
	if g.chance(0.15) { // the server gave up: 408 or 400
		f.bwd(0, g.ilogn(350, 0.3, 100, 1460), 0)
	}
	if g.chance(0.75) {
		interval := g.logn(12e6, 0.5)
		f.dur = clampf(float64(f.nf-1)*interval, f.gaps(), 1800e6)
		f.gapHi, f.gapLo = g.uni(1.0, 2.0)/float64(f.gaps()), g.uni(0.4, 0.95)
	} else { // cut short
		f.dur = g.ilogn(4_000_000, 1.2, f.gaps(), 600e6)
		f.gapHi, f.gapLo = g.uni(0.2, 0.9), g.uni(0, 0.5)
	}
	f.fSpan, f.bSpan = g.uni(0.85, 1), g.uni(0.3, 1)
	g.session(f, true)
	f.psh = max(1, f.nf-2)
}

// exfiltration is a long outbound transfer, mostly to an unusual port, at a
// modest rate; some are short bursts.
func (g *gen) exfiltration(f *flow) {
	f.proto, f.src, f.dst, f.sport = tcp, g.client(), g.server(), g.ephemeral()
	switch r := g.r.Float64(); {
	case r < 0.45:
		f.dport = oddPorts[g.r.IntN(len(oddPorts))]
	case r < 0.75:
		f.dport = g.irange(1024, 65535)
	default:
		f.dport = 443
	}
	if g.chance(attemptRate) {
		g.attempt(f)
		return
	}
	if g.chance(0.15) {
		f.nf = g.ilogn(60, 0.6, 10, 1000)
	} else {
		f.nf = g.ilogn(3000, 1.2, 50, 500_000)
	}
	f.fwd(0, g.pick(1460, 1448), g.logn(1150, 0.12))
	f.nb = clampf(float64(f.nf)*g.uni(0.3, 0.6), 1, 300_000)
	bhi := g.ilogn(40, 1.0, 0, 1460)
	if f.dport == 443 {
		bhi = g.ilogn(1300, 0.2, 0, 1460)
	}
	f.bwd(0, bhi, g.uni(0, 4))
	f.dur = g.ratedDuration(f, 400e3, 1.0)
	f.gapHi, f.gapLo = g.uni(0.005, 0.3), g.uni(0, 0.2)
	f.fSpan, f.bSpan = g.uni(0.9, 1), g.uni(0.9, 1)
	g.session(f, true)
	f.psh = 1 + int64(float64(f.nf)*g.uni(0.05, 0.5))
}

// tunnel is the novel class: an ICMP tunnel, echo requests and replies of a
// large constant size at a steady rate, far from any benign flow.
func (g *gen) tunnel(f *flow) {
	f.proto, f.src, f.dst = icmp, g.client(), g.server()
	f.nf = g.ilogn(5000, 0.5, 500, 200_000)
	f.nb = max(1, f.nf-g.irange(0, 3))
	s := g.irange(1000, 1400)
	f.fwd(s, s, float64(s))
	f.bwd(s, s, float64(s))
	interval := g.logn(2000, 0.2)
	f.dur = clampf(float64(f.gaps())*interval, f.gaps(), 3600e6)
	f.gapHi, f.gapLo = g.uni(1.0, 1.1)/float64(f.gaps()), g.uni(0.9, 0.99)
	f.fSpan, f.bSpan = g.uni(0.98, 1), g.uni(0.98, 1)
}
