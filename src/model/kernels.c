// kernels.c — the two kernel sets the model switches between (Model.use_reference).
#include "model/kernels.h"

const KernelOps kernel_ops_reference = {
    matmul_forward_reference,          matmul_backward_reference,         conv2d_forward_reference,
    conv2d_backward_reference,         layernorm_forward_reference,       layernorm_backward_reference,
    instancenorm_forward_reference,    instancenorm_backward_reference,
    gelu_forward_reference,            gelu_backward_reference,           attention_forward_reference,
    attention_backward_reference,      softmax_logprob_forward_reference, softmax_logprob_backward_reference,
};

const KernelOps kernel_ops_fast = {
    matmul_forward_fast,          matmul_backward_fast,         conv2d_forward_fast,
    conv2d_backward_fast,         layernorm_forward_fast,       layernorm_backward_fast,
    instancenorm_forward_fast,    instancenorm_backward_fast,
    gelu_forward_fast,            gelu_backward_fast,           attention_forward_fast,
    attention_backward_fast,      softmax_logprob_forward_fast, softmax_logprob_backward_fast,
};
