package ops

import (
	"fmt"
	"testing"

	"convnet/internal/kernels"
	"convnet/tensor"
)

// TestBatchNormReLUMatchesPair checks the fused BatchNormReLU against
// ReLU(BatchNorm(…)) bit for bit: output, running statistics, and the
// gradients of x, γ and β, in training and evaluation mode, with and
// without affine parameters, for 2-, 3- and 4-dimensional inputs, on 1
// and 2 threads. x also feeds a second op, so its gradient is added to in
// one of the cases (the accumulating path); negative zeros in the incoming
// gradient must come out as ReLU's backward pass leaves them.
func TestBatchNormReLUMatchesPair(t *testing.T) {
	defer kernels.SetThreads(kernels.Threads())
	shapes := [][]int{{5, 3}, {4, 6, 7}, {3, 5, 6, 9}, {2, 40, 8, 8}}
	for _, shape := range shapes {
		for _, training := range []bool{true, false} {
			for _, affine := range []bool{true, false} {
				for _, th := range []int{1, 2} {
					name := fmt.Sprintf("%v/train=%v/affine=%v/threads=%d", shape, training, affine, th)
					t.Run(name, func(t *testing.T) {
						kernels.SetThreads(th)
						run := func(fused bool) []*tensor.Tensor {
							g := tensor.NewRNG(7)
							x := Param(tensor.Randn(g, 0.2, 1, shape...))
							w, b, rm, rv := bnTestParams(g, shape[1], affine)
							var y *Var
							if fused {
								y = BatchNormReLU(x, w, b, rm, rv, training, 0.1, 1e-5)
							} else {
								y = ReLU(BatchNorm(x, w, b, rm, rv, training, 0.1, 1e-5))
							}
							// A loss whose gradient has exact zeros, negative
							// zeros and a second use of x.
							up := tensor.Randn(g, 0, 1, shape...)
							ud := up.Data()
							for i := range ud {
								switch i % 7 {
								case 0:
									ud[i] = 0
								case 1:
									ud[i] = float32(negZero())
								}
							}
							loss := Add(Sum(Mul(y, Const(up))), Sum(Mul(x, x)))
							loss.Backward()
							out := []*tensor.Tensor{y.Value, x.Grad, rm, rv}
							if affine {
								out = append(out, w.Grad, b.Grad)
							}
							return out
						}
						sameTensorBits(t, run(true), run(false), "pair")
					})
				}
			}
		}
	}
}

// negZero returns −0.
func negZero() float64 {
	z := 0.0
	return -z
}

// TestBatchNormReLUGradCheck checks BatchNormReLU's gradients by central
// differences, on inputs whose normalised values all lie at least 0.1 from
// ReLU's kink (the first seed that gives such inputs), so that no
// difference straddles it.
func TestBatchNormReLUGradCheck(t *testing.T) {
	for _, shape := range [][]int{{6, 3}, {3, 2, 5}, {2, 3, 3, 3}} {
		for _, training := range []bool{true, false} {
			t.Run(fmt.Sprintf("%v/training=%v", shape, training), func(t *testing.T) {
				c := shape[1]
				for seed := uint64(1); seed < 1000; seed++ {
					rng := tensor.NewRNG(seed)
					inputs := []*Var{
						Param(tensor.Randn(rng, 0.5, 2, shape...)),
						Param(tensor.Rand(rng, 0.5, 1.5, c)),
						Param(tensor.Rand(rng, -0.5, 0.5, c)),
					}
					rm, rv := tensor.Rand(rng, -0.5, 0.5, c), tensor.Rand(rng, 0.5, 2, c)
					if training {
						// Running statistics would make f impure.
						rm, rv = nil, nil
					}
					pre := BatchNorm(Const(inputs[0].Value), Const(inputs[1].Value), Const(inputs[2].Value), rm, rv, training, 0.1, 1e-5).Value.Data()
					near := false
					for _, v := range pre {
						near = near || (v > -0.1 && v < 0.1)
					}
					if near {
						continue
					}
					f := func(in []*Var) *Var {
						return BatchNormReLU(in[0], in[1], in[2], rm, rv, training, 0.1, 1e-5)
					}
					if err := CheckGrad(f, inputs, 1e-2, 1e-2); err != nil {
						t.Fatalf("seed %d: %v", seed, err)
					}
					return
				}
				t.Fatal("no seed gives inputs away from the kink")
			})
		}
	}
}

// TestAddReLUMatchesPair checks AddReLU against ReLU(Add(…)) bit for bit:
// the output and both inputs' gradients, for distinct inputs whose
// gradients are fresh or already hold a value, for Add(x, x), and for
// sizes around the fused block, on 1 and 2 threads.
func TestAddReLUMatchesPair(t *testing.T) {
	defer kernels.SetThreads(kernels.Threads())
	for _, size := range []int{1, 17, fuseBlock - 1, fuseBlock + 5, 3*fuseBlock + 100, 200000} {
		for _, mode := range []string{"distinct", "accumulate", "same"} {
			for _, th := range []int{1, 2} {
				t.Run(fmt.Sprintf("%d/%s/threads=%d", size, mode, th), func(t *testing.T) {
					kernels.SetThreads(th)
					run := func(fused bool) []*tensor.Tensor {
						g := tensor.NewRNG(3)
						a, b := Param(tensor.Randn(g, 0, 1, 2, size)), Param(tensor.Randn(g, 0, 1, 2, size))
						if mode == "same" {
							b = a
						}
						f := func(x, y *Var) *Var {
							if fused {
								return AddReLU(x, y)
							}
							return ReLU(Add(x, y))
						}
						up := tensor.Randn(g, 0, 1, 2, size)
						for i := range up.Data() {
							if i%5 == 0 {
								up.Data()[i] = float32(negZero())
							}
						}
						y := f(a, b)
						loss := Sum(Mul(y, Const(up)))
						if mode == "accumulate" {
							// b is used again after the sum, so its
							// gradient holds a value when AddReLU's arrives.
							loss = Add(loss, Sum(Mul(Scale(b, 0.5), b)))
						}
						loss.Backward()
						return []*tensor.Tensor{y.Value, a.Grad, b.Grad}
					}
					sameTensorBits(t, run(true), run(false), "pair")
				})
			}
		}
	}
}

// TestAddReLUGradCheck checks AddReLU's gradients by central differences
// on sums kept at least 0.1 from ReLU's kink.
func TestAddReLUGradCheck(t *testing.T) {
	g := tensor.NewRNG(5)
	a, b := tensor.Randn(g, 0, 1, 3, 7), tensor.Randn(g, 0, 1, 3, 7)
	ad, bd := a.Data(), b.Data()
	for i := range ad {
		if s := ad[i] + bd[i]; s > -0.1 && s < 0.1 {
			ad[i] += 0.5
		}
	}
	f := func(in []*Var) *Var { return AddReLU(in[0], in[1]) }
	if err := CheckGrad(f, []*Var{Param(a), Param(b)}, 1e-2, 1e-2); err != nil {
		t.Fatal(err)
	}
}

// TestBatchNormAddReLUMatchesOps checks the fused BatchNormAddReLU against
// AddReLU(BatchNorm(…), res) bit for bit: output, running statistics and
// the gradients of x, γ, β and the residual, in training and evaluation
// mode, with and without affine parameters, with a residual that needs no
// gradient, one whose gradient is fresh and one whose gradient already
// holds a value, both as a parameter and as an op's output (which the
// fused op gives its gradient buffer where it has none yet), on 1 and 2
// threads.
func TestBatchNormAddReLUMatchesOps(t *testing.T) {
	defer kernels.SetThreads(kernels.Threads())
	for _, shape := range [][]int{{5, 3}, {3, 5, 6, 9}, {2, 40, 8, 8}} {
		for _, training := range []bool{true, false} {
			for _, affine := range []bool{true, false} {
				for _, resMode := range []string{"const", "fresh", "accumulate", "op", "op-accumulate"} {
					for _, th := range []int{1, 2} {
						name := fmt.Sprintf("%v/train=%v/affine=%v/res=%s/threads=%d", shape, training, affine, resMode, th)
						t.Run(name, func(t *testing.T) {
							kernels.SetThreads(th)
							run := func(fused bool) []*tensor.Tensor {
								g := tensor.NewRNG(9)
								x := Param(tensor.Randn(g, 0.2, 1, shape...))
								r := Param(tensor.Randn(g, 0, 1, shape...))
								rLeaf := r
								switch resMode {
								case "const":
									r = Const(r.Value)
								case "op", "op-accumulate":
									// An op's output, without a gradient
									// when the block's arrives (unless
									// used again): the fused op hands it
									// its own masked gradient buffer.
									r = Scale(rLeaf, 1.5)
								}
								w, b, rm, rv := bnTestParams(g, shape[1], affine)
								var y *Var
								if fused {
									y = BatchNormAddReLU(x, r, w, b, rm, rv, training, 0.1, 1e-5)
								} else {
									y = AddReLU(BatchNorm(x, w, b, rm, rv, training, 0.1, 1e-5), r)
								}
								up := tensor.Randn(g, 0, 1, shape...)
								for i := range up.Data() {
									if i%6 == 0 {
										up.Data()[i] = float32(negZero())
									}
								}
								loss := Sum(Mul(y, Const(up)))
								if resMode == "accumulate" || resMode == "op-accumulate" {
									// r is used again after the block, so its
									// gradient holds a value when the block's arrives.
									loss = Add(loss, Sum(Mul(Scale(r, 0.5), r)))
								}
								loss.Backward()
								out := []*tensor.Tensor{y.Value, x.Grad, rm, rv}
								if resMode != "const" {
									out = append(out, rLeaf.Grad)
								}
								if affine {
									out = append(out, w.Grad, b.Grad)
								}
								return out
							}
							sameTensorBits(t, run(true), run(false), "ops")
						})
					}
				}
			}
		}
	}
}

// TestBatchNormAddReLUGradCheck checks BatchNormAddReLU's gradients (x, γ,
// β and the residual) by central differences, on inputs whose sums all
// lie at least 0.1 from ReLU's kink.
func TestBatchNormAddReLUGradCheck(t *testing.T) {
	shape := []int{3, 2, 3, 3}
	for _, training := range []bool{true, false} {
		t.Run(fmt.Sprintf("training=%v", training), func(t *testing.T) {
			for seed := uint64(1); seed < 1000; seed++ {
				rng := tensor.NewRNG(seed)
				inputs := []*Var{
					Param(tensor.Randn(rng, 0.5, 2, shape...)),
					Param(tensor.Randn(rng, 0, 1, shape...)),
					Param(tensor.Rand(rng, 0.5, 1.5, 2)),
					Param(tensor.Rand(rng, -0.5, 0.5, 2)),
				}
				rm, rv := tensor.Rand(rng, -0.5, 0.5, 2), tensor.Rand(rng, 0.5, 2, 2)
				if training {
					rm, rv = nil, nil
				}
				pre := BatchNorm(Const(inputs[0].Value), Const(inputs[2].Value), Const(inputs[3].Value), rm, rv, training, 0.1, 1e-5).Value.Data()
				near := false
				for i, v := range pre {
					v += inputs[1].Value.Data()[i]
					near = near || (v > -0.1 && v < 0.1)
				}
				if near {
					continue
				}
				f := func(in []*Var) *Var {
					return BatchNormAddReLU(in[0], in[1], in[2], in[3], rm, rv, training, 0.1, 1e-5)
				}
				if err := CheckGrad(f, inputs, 1e-2, 1e-2); err != nil {
					t.Fatalf("seed %d: %v", seed, err)
				}
				return
			}
			t.Fatal("no seed gives inputs away from the kink")
		})
	}
}

// sameTensorBits fails t unless got[i] and want[i] hold the same bits for
// every i; ref names what want came from.
func sameTensorBits(t *testing.T, got, want []*tensor.Tensor, ref string) {
	t.Helper()
	for i := range got {
		if j := firstDiff(got[i].Data(), want[i].Data()); j >= 0 {
			t.Fatalf("tensor %d [%d] = %v, %s gives %v", i, j, got[i].Data()[j], ref, want[i].Data()[j])
		}
	}
}

// bnTestParams draws from g a batch norm's γ and β for c channels (nil
// unless affine) and its running mean and variance, in that order.
func bnTestParams(g *tensor.RNG, c int, affine bool) (w, b *Var, rm, rv *tensor.Tensor) {
	if affine {
		w, b = Param(tensor.Randn(g, 1, 0.5, c)), Param(tensor.Randn(g, 0, 0.5, c))
	}
	return w, b, tensor.Randn(g, 0, 0.1, c), tensor.Rand(g, 0.5, 1.5, c)
}

// TestBatchNormReLU6MatchesPair checks BatchNormReLU6 against
// ReLU6(BatchNorm(…)) bit for bit — output, input, weight and bias
// gradients, running statistics — in training and evaluation, with and
// without affine parameters (γ large enough that many values pass 6, and
// some land on 0 and 6 exactly), on 1 and 2 threads.
func TestBatchNormReLU6MatchesPair(t *testing.T) {
	defer kernels.SetThreads(kernels.Threads())
	for _, shape := range [][]int{{5, 3}, {4, 6, 7}, {3, 5, 6, 9}, {2, 40, 8, 8}} {
		for _, training := range []bool{true, false} {
			for _, affine := range []bool{true, false} {
				for _, th := range []int{1, 2} {
					t.Run(fmt.Sprintf("%v/train=%v/affine=%v/threads=%d", shape, training, affine, th), func(t *testing.T) {
						kernels.SetThreads(th)
						run := func(fused bool) []*tensor.Tensor {
							g := tensor.NewRNG(8)
							x := Param(tensor.Randn(g, 0.2, 1, shape...))
							w, b, rm, rv := bnTestParams(g, shape[1], affine)
							if affine {
								for i := range w.Value.Data() {
									w.Value.Data()[i] *= 4
								}
							}
							var y *Var
							if fused {
								y = BatchNormReLU6(x, w, b, rm, rv, training, 0.1, 1e-5)
							} else {
								y = ReLU6(BatchNorm(x, w, b, rm, rv, training, 0.1, 1e-5))
							}
							up := tensor.Randn(g, 0, 1, shape...)
							for i := range up.Data() {
								if i%7 == 1 {
									up.Data()[i] = float32(negZero())
								}
							}
							Add(Sum(Mul(y, Const(up))), Sum(Mul(x, x))).Backward()
							out := []*tensor.Tensor{y.Value, x.Grad, rm, rv}
							if affine {
								out = append(out, w.Grad, b.Grad)
							}
							return out
						}
						got, want := run(true), run(false)
						if affine && shape[0]*shape[1] > 20 {
							six := 0
							for _, v := range want[0].Data() {
								if v == 6 {
									six++
								}
							}
							if six == 0 {
								t.Fatal("no output reaches 6: the test does not reach the upper clamp")
							}
						}
						sameTensorBits(t, got, want, "pair")
					})
				}
			}
		}
	}
}

// TestBatchNormReLU6GradCheck checks BatchNormReLU6's gradients by central
// differences on inputs whose outputs all lie at least 0.1 from the kinks
// at 0 and 6 (the first seed that gives such inputs), γ large enough that
// some are clamped at 6.
func TestBatchNormReLU6GradCheck(t *testing.T) {
	for _, shape := range [][]int{{6, 3}, {3, 2, 5}, {2, 3, 3, 3}} {
		for _, training := range []bool{true, false} {
			t.Run(fmt.Sprintf("%v/training=%v", shape, training), func(t *testing.T) {
				c := shape[1]
				for seed := uint64(1); seed < 5000; seed++ {
					rng := tensor.NewRNG(seed)
					inputs := []*Var{
						Param(tensor.Randn(rng, 0.5, 2, shape...)),
						Param(tensor.Rand(rng, 3, 6, c)),
						Param(tensor.Rand(rng, 1, 3, c)),
					}
					rm, rv := tensor.Rand(rng, -0.5, 0.5, c), tensor.Rand(rng, 0.5, 2, c)
					if training {
						rm, rv = nil, nil
					}
					pre := BatchNorm(Const(inputs[0].Value), Const(inputs[1].Value), Const(inputs[2].Value), rm, rv, training, 0.1, 1e-5).Value.Data()
					near, above := false, false
					for _, v := range pre {
						near = near || (v > -0.1 && v < 0.1) || (v > 5.9 && v < 6.1)
						above = above || v > 6
					}
					if near || !above {
						continue
					}
					f := func(in []*Var) *Var {
						return BatchNormReLU6(in[0], in[1], in[2], rm, rv, training, 0.1, 1e-5)
					}
					if err := CheckGrad(f, inputs, 1e-2, 1e-2); err != nil {
						t.Fatalf("seed %d: %v", seed, err)
					}
					return
				}
				t.Fatal("no seed gives inputs away from the kinks with some above 6")
			})
		}
	}
}
