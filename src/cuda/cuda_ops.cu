// cuda_ops.cu — the device kernels as a KernelOps set (kernels.h), for callers that drive layers
// one by one on device pointers (the tests compare each against kernel_ops_reference).
#include "cuda/cuda_internal.cuh"

extern "C" const KernelOps kernel_ops_cuda = {
    matmul_forward_cuda,          matmul_backward_cuda,         conv2d_forward_cuda,
    conv2d_backward_cuda,         layernorm_forward_cuda,       layernorm_backward_cuda,
    instancenorm_forward_cuda,    instancenorm_backward_cuda,
    gelu_forward_cuda,            gelu_backward_cuda,           attention_forward_cuda,
    attention_backward_cuda,      softmax_logprob_forward_cuda, softmax_logprob_backward_cuda,
};
