package synth

import "math"

// Random draws used by the class generators. All of them read g.r only.

// logn draws from a log-normal distribution with the given median and
// log-space standard deviation: heavy-tailed for sigma >= 1.
func (g *gen) logn(median, sigma float64) float64 {
	return median * math.Exp(sigma*g.r.NormFloat64())
}

// ilogn is logn rounded to an integer and clamped to [lo, hi].
func (g *gen) ilogn(median, sigma float64, lo, hi int64) int64 {
	return clampf(math.Round(g.logn(median, sigma)), lo, hi)
}

// uni draws uniformly from [a, b).
func (g *gen) uni(a, b float64) float64 { return a + (b-a)*g.r.Float64() }

// irange draws an integer uniformly from [a, b].
func (g *gen) irange(a, b int64) int64 { return a + g.r.Int64N(b-a+1) }

// chance is true with probability p.
func (g *gen) chance(p float64) bool { return g.r.Float64() < p }

// pick draws one of vs uniformly.
func (g *gen) pick(vs ...int64) int64 { return vs[g.r.IntN(len(vs))] }

// clampf converts x to an integer clamped to [lo, hi].
func clampf(x float64, lo, hi int64) int64 {
	if !(x >= float64(lo)) { // also NaN
		return lo
	}
	if x >= float64(hi) {
		return hi
	}
	return int64(x)
}

// ip4 packs an IPv4 address.
func ip4(a, b, c, d int64) uint32 {
	return uint32(a)<<24 | uint32(b)<<16 | uint32(c)<<8 | uint32(d)
}

// client is an address on the victim network (CIC-IDS2017's 192.168.10.0/24).
func (g *gen) client() uint32 { return ip4(192, 168, 10, g.irange(3, 60)) }

// server is a public address: one of a few large hosting ranges.
func (g *gen) server() uint32 {
	firsts := [...]int64{13, 23, 31, 52, 104, 142, 151, 172, 185, 199, 208, 216}
	return ip4(firsts[g.r.IntN(len(firsts))], g.irange(0, 255), g.irange(0, 255), g.irange(1, 254))
}

// ephemeral draws a client source port (Linux or Windows range).
func (g *gen) ephemeral() int64 {
	if g.chance(0.6) {
		return g.irange(32768, 60999)
	}
	return g.irange(49152, 65535)
}

// Initial TCP windows seen from common stacks.
func (g *gen) clientWin() int64 { return g.pick(64240, 64240, 29200, 29200, 65535, 8192, 26883, 1024) }
func (g *gen) serverWin() int64 { return g.pick(65160, 28960, 28960, 29200, 65535, 14600, 235, 1026) }
