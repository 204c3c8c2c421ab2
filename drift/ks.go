package drift

import (
	"math"
)

// This file ports scipy.stats.ks_2samp (scipy 1.10, two-sided,
// method="auto") and the parts of scipy.stats.kstwo it needs. The order of
// the arithmetic follows scipy's so that p-values agree to about 1e-12;
// TestGoldenScipy holds them to 1e-9.

// ksAutoMaxN is scipy's MAX_AUTO_N: method "auto" is exact when both
// samples have at most this many values.
const ksAutoMaxN = 10000

// KS2Samp returns the two-sample Kolmogorov-Smirnov statistic D (the
// largest gap between the two empirical distribution functions) and its
// two-sided p-value, as scipy.stats.ks_2samp(a, b) computes them: exact
// when neither sample has more than 10,000 values, else from the
// one-sample Kolmogorov distribution at n = round(n1*n2/(n1+n2)). a and b
// must be sorted ascending and hold no NaN; an empty sample gives NaN.
func KS2Samp(a, b []float64) (d, p float64) {
	n1, n2 := len(a), len(b)
	if n1 == 0 || n2 == 0 {
		return math.NaN(), math.NaN()
	}
	// cdf1 - cdf2 at every value of either sample (searchsorted "right").
	var maxS, minS float64
	i, j := 0, 0
	for i < n1 || j < n2 {
		var v float64
		switch {
		case j >= n2 || (i < n1 && a[i] <= b[j]):
			v = a[i]
		default:
			v = b[j]
		}
		for i < n1 && a[i] <= v {
			i++
		}
		for j < n2 && b[j] <= v {
			j++
		}
		diff := float64(i)/float64(n1) - float64(j)/float64(n2)
		maxS = math.Max(maxS, diff)
		minS = math.Max(minS, -diff)
	}
	d = maxS
	if minS > maxS {
		d = minS
	}
	g := gcd(n1, n2)
	exact := max(n1, n2) <= ksAutoMaxN
	if exact {
		var ok bool
		d, p, ok = ksExact(n1, n2, g, d)
		exact = ok
	}
	if !exact {
		m, n := float64(max(n1, n2)), float64(min(n1, n2))
		en := m * n / (m + n)
		p = kolmogornSF(int(math.RoundToEven(en)), d)
	}
	return d, clip01(p)
}

func gcd(a, b int) int {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}

func clip01(p float64) float64 {
	if p < 0 {
		return 0
	}
	if p > 1 {
		return 1
	}
	return p
}

// ksExact is scipy's _attempt_exact_2kssamp for the two-sided case: d is
// rounded to the lattice of the two sample sizes first.
func ksExact(n1, n2, g int, d float64) (float64, float64, bool) {
	lcm := float64((n1 / g) * n2)
	h := int(math.RoundToEven(d * lcm))
	d = float64(h) / lcm
	if h == 0 {
		return d, 1, true
	}
	var p float64
	if n1 == n2 {
		p = probOutsideSquare(n1, h)
	} else {
		p = outerProbInside(n1, n2, g, h)
	}
	if math.IsNaN(p) || math.IsInf(p, 0) || p < 0 || p > 1 {
		return d, p, false
	}
	return d, p, true
}

// probOutsideSquare is Pr(D_{n,n} >= h/n) by the Horner-like sum of
// scipy's _compute_prob_outside_square.
func probOutsideSquare(n, h int) float64 {
	p := 0.0
	for k := n / h; k >= 0; k-- {
		p1 := 1.0
		for j := 0; j < h; j++ {
			p1 = float64(n-k*h-j) * p1 / float64(n+k*h+j+1)
		}
		p = p1 * (1 - p)
	}
	return 2 * p
}

// outerProbInside is scipy's _compute_outer_prob_inside_method: the share
// of lattice paths from (0,0) to (m,n) that leave the band
// |x/m - y/n| < h/lcm(m,n), by Viehmann's recursion for 1-p.
func outerProbInside(m, n, g, h int) float64 {
	if m < n {
		m, n = n, m
	}
	mg, ng := m/g, n/g
	minj, maxj := 0, min(int(math.Ceil(float64(h)/float64(mg))), n+1)
	curlen := maxj - minj
	lenA := min(2*maxj+2, n+1)
	A := make([]float64, lenA)
	for i := range A {
		A[i] = 1
	}
	for i := minj; i < maxj; i++ {
		A[i] = 0
	}
	for i := 1; i <= m; i++ {
		lastminj, lastlen := minj, curlen
		minj = max(int(math.Floor(float64(ng*i-h)/float64(mg)))+1, 0)
		minj = min(minj, n)
		maxj = min(int(math.Ceil(float64(ng*i+h)/float64(mg))), n+1)
		if maxj <= minj {
			return 1
		}
		val := 1.0
		if minj == 0 {
			val = 0
		}
		for jj := 0; jj < maxj-minj; jj++ {
			j := jj + minj
			val = (A[jj+minj-lastminj]*float64(i) + val*float64(j)) / float64(i+j)
			A[jj] = val
		}
		curlen = maxj - minj
		if lastlen > curlen {
			for k := maxj - minj; k < maxj-minj+(lastlen-curlen) && k < len(A); k++ {
				A[k] = 1
			}
		}
	}
	return A[maxj-minj-1]
}

// kolmogornSF is Pr(D_n >= x) for the two-sided one-sample
// Kolmogorov-Smirnov statistic: scipy.stats.kstwo.sf(x, n), which follows
// Simard and L'Ecuyer (2011) in choosing between the Ruben-Gambino exact
// cases, twice Smirnov's one-sided probability, the Durbin matrix
// (Marsaglia-Tsang-Wang), Pomeranz's recursion and Pelz-Good.
func kolmogornSF(n int, x float64) float64 {
	if n <= 0 || math.IsNaN(x) {
		return math.NaN()
	}
	if x >= 1 {
		return 0
	}
	if x <= 0 {
		return 1
	}
	nf := float64(n)
	t := nf * x
	if t <= 1 {
		if t <= 0.5 {
			return 1
		}
		var prob float64
		if n <= 140 {
			prob = 1
			for i := 1; i <= n; i++ {
				prob *= float64(i) * (1 / nf) * (2*t - 1)
			}
		} else {
			prob = math.Exp(logNFactorialDivNPowN(nf) + nf*math.Log(2*t-1))
		}
		return clip01(1 - prob)
	}
	if t >= nf-1 {
		return clip01(2 * math.Pow(1-x, nf))
	}
	if x >= 0.5 {
		return clip01(2 * smirnov(n, x))
	}
	nxsq := t * x
	if n <= 140 {
		if nxsq <= 0.754693 {
			return clip01(1 - kolmogornDMTW(n, x))
		}
		if nxsq <= 4 {
			return clip01(1 - kolmogornPomeranz(n, x))
		}
		return clip01(2 * smirnov(n, x))
	}
	if nxsq >= 370 {
		return 0
	}
	if nxsq >= 2.2 {
		return clip01(2 * smirnov(n, x))
	}
	var cdf float64
	if n <= 100000 && nf*math.Pow(x, 1.5) <= 1.4 {
		cdf = kolmogornDMTW(n, x)
	} else {
		cdf = kolmogornPelzGood(n, x)
	}
	return clip01(1 - cdf)
}

var stirlingCoeffs = [...]float64{-2.955065359477124183e-2, 6.4102564102564102564e-3,
	-1.9175269175269175269e-3, 8.4175084175084175084e-4,
	-5.952380952380952381e-4, 7.9365079365079365079e-4,
	-2.7777777777777777778e-3, 8.3333333333333333333e-2}

// logNFactorialDivNPowN is log(n!/n^n) by Stirling's series.
func logNFactorialDivNPowN(n float64) float64 {
	rn := 1 / n
	x := rn / n
	poly := 0.0
	for _, c := range stirlingCoeffs {
		poly = poly*x + c
	}
	return math.Log(n)/2 - n + math.Log(2*math.Pi)/2 + rn*poly
}

// smirnov is Pr(D+_n >= x), the one-sided statistic, by the
// Birnbaum-Tingey sum (all terms positive), in logarithms.
func smirnov(n int, x float64) float64 {
	if x <= 0 {
		return 1
	}
	if x >= 1 {
		return 0
	}
	nf := float64(n)
	nn := int(math.Floor(nf * (1 - x)))
	lgn1, _ := math.Lgamma(nf + 1)
	sum := 0.0
	for v := 0; v <= nn; v++ {
		evn := x + float64(v)/nf
		omevn := 1 - evn
		if v < n && omevn <= 0 {
			continue
		}
		lv, _ := math.Lgamma(float64(v + 1))
		lnv, _ := math.Lgamma(float64(n - v + 1))
		t := lgn1 - lv - lnv + float64(v-1)*math.Log(evn)
		if n-v > 0 {
			t += float64(n-v) * math.Log(omevn)
		}
		sum += math.Exp(t)
	}
	return sum * x
}

const (
	e128  = 128
	ep128 = 0x1p128
	em128 = 0x1p-128
)

// kolmogornDMTW is Pr(D_n <= d) by the Durbin matrix as Marsaglia, Tsang
// and Wang (2003) compute it (scipy's _kolmogn_DMTW).
func kolmogornDMTW(n int, d float64) float64 {
	if d >= 1 {
		return 1
	}
	nd := float64(n) * d
	if nd <= 0.5 {
		return 0
	}
	k := int(math.Ceil(nd))
	h := float64(k) - nd
	m := 2*k - 1
	H := newMat(m)
	v := make([]float64, m)
	w := make([]float64, m)
	fac := 1.0
	for j := 1; j <= m; j++ {
		v[j-1] = 1 - math.Pow(h, float64(j))
		w[j-1] = fac
		fac /= float64(j)
		v[j-1] *= fac
	}
	tt := math.Pow(math.Max(2*h-1, 0), float64(m)) - 2*math.Pow(h, float64(m))
	v[m-1] = (1 + tt) * fac
	for i := 1; i < m; i++ {
		for r := i - 1; r < m; r++ {
			H[r*m+i] = w[r-(i-1)]
		}
	}
	for r := 0; r < m; r++ {
		H[r*m] = v[r]
	}
	for c := 0; c < m; c++ {
		H[(m-1)*m+c] = v[m-1-c]
	}
	P := identity(m)
	expnt, hexpnt := 0, 0
	for nn := n; nn > 0; nn /= 2 {
		if nn%2 == 1 {
			P = matmul(P, H, m)
			expnt += hexpnt
		}
		H = matmul(H, H, m)
		hexpnt *= 2
		if math.Abs(H[(k-1)*m+k-1]) > ep128 {
			for i := range H {
				H[i] /= ep128
			}
			hexpnt += e128
		}
	}
	p := P[(k-1)*m+k-1]
	for i := 1; i <= n; i++ {
		p = float64(i) * p / float64(n)
		if math.Abs(p) < em128 {
			p *= ep128
			expnt -= e128
		}
	}
	if expnt != 0 {
		p = math.Ldexp(p, expnt)
	}
	return clip01(p)
}

func newMat(m int) []float64 { return make([]float64, m*m) }

func identity(m int) []float64 {
	a := newMat(m)
	for i := 0; i < m; i++ {
		a[i*m+i] = 1
	}
	return a
}

func matmul(a, b []float64, m int) []float64 {
	c := newMat(m)
	for i := 0; i < m; i++ {
		for k := 0; k < m; k++ {
			aik := a[i*m+k]
			if aik == 0 {
				continue
			}
			for j := 0; j < m; j++ {
				c[i*m+j] += aik * b[k*m+j]
			}
		}
	}
	return c
}

// pomeranzJ1J2 is the interval of row i (scipy's _pomeranz_compute_j1j2).
func pomeranzJ1J2(i, n, ll, ceilf, roundf int) (int, int) {
	var j1, j2 int
	if i == 0 {
		j1, j2 = -ll-ceilf-1, ll+ceilf-1
	} else {
		ip1div2, ip1mod2 := (i+1)/2, (i+1)%2
		if ip1mod2 == 0 {
			if ip1div2 == n+1 {
				j1, j2 = n-ll-ceilf-1, n+ll+ceilf-1
			} else {
				j1, j2 = ip1div2-1-ll-roundf-1, ip1div2+ll-1+ceilf-1
			}
		} else {
			j1, j2 = ip1div2-1-ll-1, ip1div2+ll+roundf-1
		}
	}
	return max(j1+2, 0), min(j2, n)
}

// kolmogornPomeranz is Pr(D_n <= x) by Pomeranz's recursion (1974).
func kolmogornPomeranz(n int, x float64) float64 {
	nf := float64(n)
	t := nf * x
	ll := int(math.Floor(t))
	f := t - float64(ll)
	g := math.Min(f, 1-f)
	ceilf, roundf := 0, 0
	if f > 0 {
		ceilf = 1
	}
	if f > 0.5 {
		roundf = 1
	}
	npwrs := 2 * (ll + 1)
	gpower := make([]float64, npwrs)
	twogpower := make([]float64, npwrs)
	onem2gpower := make([]float64, npwrs)
	gpower[0], twogpower[0], onem2gpower[0] = 1, 1, 1
	expnt := 0
	gn, twogn, onem2gn := g/nf, 2*g/nf, (1-2*g)/nf
	for m := 1; m < npwrs; m++ {
		gpower[m] = gpower[m-1] * gn / float64(m)
		twogpower[m] = twogpower[m-1] * twogn / float64(m)
		onem2gpower[m] = onem2gpower[m-1] * onem2gn / float64(m)
	}
	V0 := make([]float64, npwrs)
	V1 := make([]float64, npwrs)
	V1[0] = 1
	V0s, V1s := 0, 0
	j1, _ := pomeranzJ1J2(0, n, ll, ceilf, roundf)
	var j2 int
	for i := 1; i < 2*n+2; i++ {
		k1 := j1
		V0, V1 = V1, V0
		V0s, V1s = V1s, V0s
		clear(V1)
		j1, j2 = pomeranzJ1J2(i, n, ll, ceilf, roundf)
		var pwrs []float64
		switch {
		case i == 1 || i == 2*n+1:
			pwrs = gpower
		case i%2 == 1:
			pwrs = twogpower
		default:
			pwrs = onem2gpower
		}
		ln2 := j2 - k1 + 1
		if ln2 > 0 {
			a := V0[k1-V0s : k1-V0s+ln2]
			bb := pwrs[:ln2]
			convStart := j1 - k1
			convLen := j2 - j1 + 1
			for o := 0; o < convLen; o++ {
				idx := convStart + o // index into the full convolution
				s := 0.0
				for q := max(0, idx-ln2+1); q <= min(idx, ln2-1); q++ {
					s += a[q] * bb[idx-q]
				}
				V1[o] = s
			}
			mx := 0.0
			for _, e := range V1 {
				mx = math.Max(mx, e)
			}
			if mx > 0 && mx < em128 {
				for q := range V1 {
					V1[q] *= ep128
				}
				expnt -= e128
			}
			V1s = V0s + j1 - k1
		}
	}
	ans := V1[n-V1s]
	for m := 1; m <= n; m++ {
		if math.Abs(ans) > ep128 {
			ans *= em128
			expnt += e128
		}
		ans *= float64(m)
	}
	if expnt != 0 {
		ans = math.Ldexp(ans, expnt)
	}
	return clip01(ans)
}

// kolmogornPelzGood is the Pelz-Good (1976) approximation of Pr(D_n <= x).
func kolmogornPelzGood(n int, x float64) float64 {
	if x <= 0 {
		return 0
	}
	if x >= 1 {
		return 1
	}
	const minLog = -708
	pi2, pi4, pi6 := math.Pi*math.Pi, math.Pow(math.Pi, 4), math.Pow(math.Pi, 6)
	z := math.Sqrt(float64(n)) * x
	z2, z3, z4, z6 := z*z, z*z*z, math.Pow(z, 4), math.Pow(z, 6)
	qlog := -pi2 / 8 / z2
	if qlog < minLog {
		return 0
	}
	q := math.Exp(qlog)
	k1a, k1b := -z2, pi2/4
	k2a := 6*z6 + 2*z4
	k2b := (2*z4 - 5*z2) * pi2 / 4
	k2c := pi4 * (1 - 2*z2) / 16
	k3d := pi6 * (5 - 30*z2) / 64
	k3c := pi4 * (-60*z2 + 212*z4) / 16
	k3b := pi2 * (135*z4 - 96*z6) / 4
	k3a := -30*z6 - 90*math.Pow(z, 8)
	var K [4]float64
	maxk := int(math.Ceil(16 * z / math.Pi))
	for k := maxk; k > 0; k-- {
		m := float64(2*k - 1)
		m2, m4, m6 := m*m, math.Pow(m, 4), math.Pow(m, 6)
		qp := math.Pow(q, float64(8*k))
		c := [4]float64{1, k1a + k1b*m2, k2a + k2b*m2 + k2c*m4, k3a + k3b*m2 + k3c*m4 + k3d*m6}
		for i := range K {
			K[i] = K[i]*qp + c[i]
		}
	}
	div := [4]float64{z, 6 * z4, 72 * math.Pow(z, 7), 6480 * math.Pow(z, 10)}
	for i := range K {
		K[i] = K[i] * q * math.Sqrt(2*math.Pi) / div[i]
	}
	q = math.Exp(-pi2 / 2 / z2)
	sqrt3z := math.Sqrt(3) * z
	var k2extra, k3extra float64
	for k := maxk; k > 0; k-- {
		ks := float64(k)
		ksq := ks * ks
		qp := math.Pow(q, ksq)
		k2extra += ksq * qp
		kspi := math.Pi * ks
		k3extra += (sqrt3z + kspi) * (sqrt3z - kspi) * ksq * qp
	}
	K[2] += k2extra * pi2 * math.Sqrt(2*math.Pi) / (-36 * z3)
	K[3] += k3extra * pi2 * math.Sqrt(2*math.Pi) / (216 * z6)
	sum := 0.0
	for i := range K {
		sum += K[i] / math.Pow(float64(n), float64(i)/2)
	}
	return sum
}
