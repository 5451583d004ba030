// cuda_conv.cu — the stem's 3x3 padding-1 convolution (stride 1 or 2), channel-last, as im2col + cuBLAS,
// with kernels_conv.c's reference column order (channel, ky, kx); the CPU fast path orders its columns
// tap-major instead. col2im gathers, for each input element, the columns that read it — no atomics, so
// the input gradient is deterministic.
#include "cuda/cuda_internal.cuh"

static inline __host__ __device__ int conv_out(int size, int stride) { return (size - 1) / stride + 1; }

// col (positions, in_ch·9), column order (channel, ky, kx) as PyTorch's (out, in, 3, 3) weight.
__global__ static void im2col_kernel(float *col, const float *inp, int images, int height, int width, int in_ch,
                                     int stride) {
    int out_h = conv_out(height, stride), out_w = conv_out(width, stride), k = in_ch * 9;
    size_t index = (size_t)blockIdx.x * blockDim.x + threadIdx.x;
    if (index >= (size_t)images * out_h * out_w * k) return;
    int c = (int)(index % k);
    size_t p = index / k;
    int ox = (int)(p % out_w), oy = (int)(p / out_w % out_h), n = (int)(p / ((size_t)out_w * out_h));
    int ci = c / 9, ky = c % 9 / 3, kx = c % 3, iy = oy * stride - 1 + ky, ix = ox * stride - 1 + kx;
    int inside = iy >= 0 && iy < height && ix >= 0 && ix < width;
    col[index] = inside ? inp[(((size_t)n * height + iy) * width + ix) * in_ch + ci] : 0.0f;
}

// dinp[n, iy, ix, ci] += Σ over the (oy, ky), (ox, kx) with iy = stride·oy − 1 + ky (and likewise x),
// summed in a fixed (ky, kx) order.
__global__ static void col2im_kernel(float *dinp, const float *dcol, int images, int height, int width, int in_ch,
                                     int stride) {
    int out_h = conv_out(height, stride), out_w = conv_out(width, stride), k = in_ch * 9;
    size_t index = (size_t)blockIdx.x * blockDim.x + threadIdx.x;
    if (index >= (size_t)images * height * width * in_ch) return;
    int ci = (int)(index % in_ch);
    size_t pixel = index / in_ch;
    int ix = (int)(pixel % width), iy = (int)(pixel / width % height), n = (int)(pixel / ((size_t)width * height));
    float acc = 0.0f;
    for (int ky = 0; ky < 3; ky++) {
        int ty = iy + 1 - ky;
        if (ty < 0 || ty % stride || ty / stride >= out_h) continue;
        for (int kx = 0; kx < 3; kx++) {
            int tx = ix + 1 - kx;
            if (tx < 0 || tx % stride || tx / stride >= out_w) continue;
            acc += dcol[(((size_t)n * out_h + ty / stride) * out_w + tx / stride) * k + ci * 9 + ky * 3 + kx];
        }
    }
    dinp[index] += acc;
}

extern "C" void conv2d_forward_cuda(float *out, float *col, const float *inp, const float *weight, const float *bias,
                                    int images, int height, int width, int in_ch, int out_ch, int stride) {
    int positions = images * conv_out(height, stride) * conv_out(width, stride);
    size_t n = (size_t)positions * in_ch * 9;
    if (n == 0) return;
    im2col_kernel<<<cuda_grid(n, CUDA_THREADS), CUDA_THREADS>>>(col, inp, images, height, width, in_ch, stride);
    matmul_forward_cuda(out, col, weight, bias, positions, in_ch * 9, out_ch);
}

extern "C" void conv2d_backward_cuda(float *dinp, float *dweight, float *dbias, const float *dout, float *col,
                                     const float *inp, const float *weight, int images, int height, int width,
                                     int in_ch, int out_ch, int stride) {
    (void)inp; // col holds it, as im2col saved it in the forward
    int positions = images * conv_out(height, stride) * conv_out(width, stride);
    size_t n = (size_t)positions * in_ch * 9;
    if (n == 0) return;
    matmul_backward_cuda(NULL, dweight, dbias, dout, col, weight, positions, in_ch * 9, out_ch);
    if (!dinp) return;
    // col is no longer needed: it becomes d(col) = dout · weight
    cudaMemsetAsync(col, 0, n * sizeof(float));
    matmul_backward_cuda(col, NULL, NULL, dout, NULL, weight, positions, in_ch * 9, out_ch);
    col2im_kernel<<<cuda_grid((size_t)images * height * width * in_ch, CUDA_THREADS), CUDA_THREADS>>>(
        dinp, col, images, height, width, in_ch, stride);
}
