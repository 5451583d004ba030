// cuda_device.cu — the device, memory transfers, the sticky error, and the process-wide cuBLAS
// handle, workspace and ones vector that the kernel-level functions share (cuda.h).
#include <stdio.h>
#include <string.h>

#include "cuda/cuda_internal.cuh"

// Process-wide state of the kernel-level API: created on first use, kept until exit.
static cublasHandle_t blas_handle;
static cublasStatus_t blas_first_error = CUBLAS_STATUS_SUCCESS;
static int blas_tf32;
static float *workspace, *ones;
static size_t workspace_floats, ones_floats;

cublasHandle_t cuda_blas(void) {
    if (!blas_handle) {
        cublasStatus_t status = cublasCreate(&blas_handle);
        if (status != CUBLAS_STATUS_SUCCESS) {
            cuda_blas_status(status);
            blas_handle = NULL;
            return NULL;
        }
        cublasSetMathMode(blas_handle, blas_tf32 ? CUBLAS_TF32_TENSOR_OP_MATH : CUBLAS_DEFAULT_MATH);
    }
    return blas_handle;
}

void cuda_blas_status(cublasStatus_t status) {
    if (status != CUBLAS_STATUS_SUCCESS && blas_first_error == CUBLAS_STATUS_SUCCESS) blas_first_error = status;
}

extern "C" void cuda_set_tf32(int on) {
    blas_tf32 = on;
    if (blas_handle) cublasSetMathMode(blas_handle, on ? CUBLAS_TF32_TENSOR_OP_MATH : CUBLAS_DEFAULT_MATH);
}

float *cuda_workspace(size_t floats) {
    if (floats > workspace_floats) {
        cudaFree(workspace);
        workspace = NULL;
        workspace_floats = 0;
        if (cudaMalloc((void **)&workspace, floats * sizeof(float)) != cudaSuccess) return NULL;
        workspace_floats = floats;
    }
    return workspace;
}

__global__ static void fill_kernel(float *out, float value, size_t n) {
    size_t i = (size_t)blockIdx.x * blockDim.x + threadIdx.x;
    if (i < n) out[i] = value;
}

const float *cuda_ones(size_t n) {
    if (n > ones_floats) {
        cudaFree(ones);
        ones = NULL;
        ones_floats = 0;
        size_t want = n < 4096 ? 4096 : n;
        if (cudaMalloc((void **)&ones, want * sizeof(float)) != cudaSuccess) return NULL;
        fill_kernel<<<cuda_grid(want, CUDA_THREADS), CUDA_THREADS>>>(ones, 1.0f, want);
        ones_floats = want;
    }
    return ones;
}

void cuda_column_sums(float *out, const float *inp, int rows, int cols) {
    if (rows <= 0 || cols <= 0) return;
    const float one = 1.0f;
    // inp row-major (rows, cols) is column-major (cols, rows): out (cols) += inp · ones (rows)
    cuda_blas_status(cublasSgemv(cuda_blas(), CUBLAS_OP_N, cols, rows, &one, inp, cols, cuda_ones((size_t)rows), 1,
                                 &one, out, 1));
}

extern "C" int cuda_device_count(void) {
    int count = 0;
    if (cudaGetDeviceCount(&count) != cudaSuccess) {
        cudaGetLastError(); // "no driver" is an answer here, not a pending error
        return 0;
    }
    return count;
}

extern "C" int cuda_device_describe(char *name, size_t name_size, int *multiprocessors, double *memory_gib,
                                    Error *err) {
    if (cuda_device_count() < 1) return error_set(err, "no CUDA device");
    cudaDeviceProp prop;
    cudaError_t rc = cudaGetDeviceProperties(&prop, 0);
    if (rc != cudaSuccess) return error_set(err, "cudaGetDeviceProperties: %s", cudaGetErrorString(rc));
    if (name) snprintf(name, name_size, "%s", prop.name);
    if (multiprocessors) *multiprocessors = prop.multiProcessorCount;
    if (memory_gib) *memory_gib = (double)prop.totalGlobalMem / (1024.0 * 1024.0 * 1024.0);
    return 0;
}

extern "C" int cuda_check(const char *what, Error *err) {
    cudaError_t rc = cudaGetLastError();
    if (rc != cudaSuccess) return error_set(err, "%s: CUDA error: %s", what, cudaGetErrorString(rc));
    if (blas_first_error != CUBLAS_STATUS_SUCCESS) {
        int status = (int)blas_first_error;
        blas_first_error = CUBLAS_STATUS_SUCCESS;
        return error_set(err, "%s: cuBLAS error %d (%s)", what, status, cublasGetStatusString((cublasStatus_t)status));
    }
    return 0;
}

extern "C" int cuda_synchronize(Error *err) {
    cudaError_t rc = cudaDeviceSynchronize();
    if (rc != cudaSuccess) return error_set(err, "CUDA: %s", cudaGetErrorString(rc));
    return cuda_check("CUDA", err);
}

extern "C" void *cuda_malloc(size_t bytes, Error *err) {
    void *p = NULL;
    cudaError_t rc = cudaMalloc(&p, bytes > 0 ? bytes : 1);
    if (rc != cudaSuccess) {
        error_set(err, "cudaMalloc of %zu bytes: %s", bytes, cudaGetErrorString(rc));
        return NULL;
    }
    cudaMemset(p, 0, bytes);
    return p;
}

extern "C" void cuda_free(void *device) {
    if (device) cudaFree(device);
}

extern "C" int cuda_upload(void *device, const void *host, size_t bytes, Error *err) {
    cudaError_t rc = cudaMemcpy(device, host, bytes, cudaMemcpyHostToDevice);
    return rc == cudaSuccess ? 0 : error_set(err, "copy to the GPU: %s", cudaGetErrorString(rc));
}

extern "C" int cuda_download(void *host, const void *device, size_t bytes, Error *err) {
    cudaError_t rc = cudaMemcpy(host, device, bytes, cudaMemcpyDeviceToHost);
    return rc == cudaSuccess ? 0 : error_set(err, "copy from the GPU: %s", cudaGetErrorString(rc));
}
