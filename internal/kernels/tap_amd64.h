// Macros shared by the tap-broadcast kernels (tapfwd_amd64.s,
// tapgrad_amd64.s).

// ZERO(r) clears r; ZERO_Z0_Z15 and ZERO_Z14_Z31 clear those accumulators.
#define ZERO(r) VPXORD r, r, r

#define ZERO_Z0_Z15 \
	ZERO(Z0); ZERO(Z1); ZERO(Z2); ZERO(Z3); ZERO(Z4); ZERO(Z5); ZERO(Z6); ZERO(Z7); \
	ZERO(Z8); ZERO(Z9); ZERO(Z10); ZERO(Z11); ZERO(Z12); ZERO(Z13); ZERO(Z14); ZERO(Z15)

#define ZERO_Z14_Z31 \
	ZERO(Z14); ZERO(Z15); ZERO(Z16); ZERO(Z17); ZERO(Z18); ZERO(Z19); \
	ZERO(Z20); ZERO(Z21); ZERO(Z22); ZERO(Z23); ZERO(Z24); ZERO(Z25); \
	ZERO(Z26); ZERO(Z27); ZERO(Z28); ZERO(Z29); ZERO(Z30); ZERO(Z31)
