package kernels

// Optimizer updates (package optim's SGD) over a parameter's values, its
// gradient and its momentum buffer, all [n] (n = len(p)).

// SGDMomentum applies one step of SGD with momentum and L2 weight decay
// to the n = len(p) values of p:
//
//	for i := range p {
//		gi := g[i] + wd·p[i]          (gi = g[i] when wd is ±0)
//		buf[i] = buf[i]·mom + damp·gi
//		p[i] = p[i] + negLR·buf[i]
//	}
//
// with every product and sum rounded to float32 on its own (no fused
// multiply-add), as sgdMomentumGo writes it, so the vector kernel and the
// loop give the same bits. g and buf must hold at least n values.
func SGDMomentum(p, g, buf []float32, wd, mom, damp, negLR float32) {
	n := len(p)
	if n == 0 {
		return
	}
	g, buf = g[:n], buf[:n]
	if n >= 16 && sgdVector {
		sgdMomentumAVX512(&p[0], &g[0], &buf[0], n, wd, mom, damp, negLR)
		return
	}
	sgdMomentumGo(p, g, buf, wd, mom, damp, negLR)
}

// sgdMomentumGo is SGDMomentum's reference loop; the explicit conversions
// keep the compiler from fusing a product into the following sum.
func sgdMomentumGo(p, g, buf []float32, wd, mom, damp, negLR float32) {
	g, buf = g[:len(p)], buf[:len(p)]
	for i := range p {
		gi := g[i]
		if wd != 0 {
			gi += float32(wd * p[i])
		}
		b := float32(buf[i]*mom) + float32(damp*gi)
		buf[i] = b
		p[i] += float32(negLR * b)
	}
}

// AddScaled sets p[i] = p[i] + a·g[i] for i < len(p) (the product rounded
// on its own, as addScaledGo writes it): plain SGD's update with a = −lr.
// g must hold at least len(p) values.
func AddScaled(p, g []float32, a float32) {
	n := len(p)
	if n == 0 {
		return
	}
	g = g[:n]
	if n >= 16 && sgdVector {
		addScaledAVX512(&p[0], &g[0], n, a)
		return
	}
	addScaledGo(p, g, a)
}

// addScaledGo is AddScaled's reference loop.
func addScaledGo(p, g []float32, a float32) {
	g = g[:len(p)]
	for i := range p {
		p[i] += float32(a * g[i])
	}
}
