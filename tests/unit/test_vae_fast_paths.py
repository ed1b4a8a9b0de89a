"""The VAE's inference-only fast paths (core/torch_model/vae.py) give the plain modules' results
and never touch their inputs; with gradients on, the plain (autograd-safe) path runs. Also the
per-device decode window."""

from __future__ import annotations

import torch

from mixgrv_app.core.torch_model.vae import ResidualUnit, Snake1d, _pointwise_conv


def _snake(channels: int = 8) -> Snake1d:
    snake = Snake1d(channels)
    with torch.no_grad():
        snake.alpha.normal_(0, 0.5)
        snake.beta.normal_(0, 0.5)
    return snake


def test_snake_in_place_path_is_bit_identical_and_leaves_the_input_alone():
    torch.manual_seed(0)
    snake, x = _snake(), 3 * torch.randn(2, 8, 4001)
    before = x.clone()
    with torch.no_grad():
        plain = x + (snake.beta.exp() + 1e-9).reciprocal() * torch.sin(snake.alpha.exp() * x).pow(2)
        fast = snake(x)
    assert torch.equal(fast, plain) and torch.equal(x, before)


def test_pointwise_conv_matches_the_convolution_for_every_batch_item():
    torch.manual_seed(1)
    conv = torch.nn.Conv1d(16, 12, 1)
    x = torch.randn(3, 16, 777)
    with torch.inference_mode():
        torch.testing.assert_close(_pointwise_conv(x, conv), conv(x), rtol=0, atol=2e-6)
    no_bias = torch.nn.Conv1d(16, 12, 1, bias=False)
    with torch.inference_mode():
        torch.testing.assert_close(_pointwise_conv(x, no_bias), no_bias(x), rtol=0, atol=2e-6)


def test_residual_unit_fast_path_equals_autograd_path_and_gradients_still_flow():
    torch.manual_seed(2)
    unit = ResidualUnit(8, dilation=3)
    for snake in (unit.snake1, unit.snake2):
        with torch.no_grad():
            snake.alpha.normal_(0, 0.5)
    x = torch.randn(2, 8, 500)
    before = x.clone()
    with torch.inference_mode():
        fast = unit(x)
    assert torch.equal(x, before)
    leaf = x.clone().requires_grad_(True)
    slow = unit(leaf)  # grad enabled: the plain modules, which autograd can differentiate
    slow.square().sum().backward()
    assert leaf.grad is not None and unit.conv2.weight.grad is not None and torch.isfinite(leaf.grad).all()
    torch.testing.assert_close(fast, slow.detach(), rtol=0, atol=2e-6)


def test_polyphase_upsample_equals_the_transposed_convolution_for_the_vae_strides():
    import math

    from mixgrv_app.core.torch_model.vae import _PolyphaseUpsample

    torch.manual_seed(3)
    for stride in (2, 4, 6, 10):
        conv = torch.nn.ConvTranspose1d(12, 8, 2 * stride, stride=stride, padding=math.ceil(stride / 2))
        upsample = _PolyphaseUpsample()
        x = torch.randn(2, 12, 37)
        with torch.inference_mode():
            torch.testing.assert_close(upsample(x, conv), conv(x), rtol=0, atol=2e-6)
        with torch.no_grad():
            conv.weight.mul_(-2.0)  # new weights (a load): the regrouped copy must follow
        with torch.inference_mode():
            torch.testing.assert_close(upsample(x, conv), conv(x), rtol=0, atol=4e-6)


def test_polyphase_upsample_leaves_training_to_the_module():
    from mixgrv_app.core.torch_model.vae import _PolyphaseUpsample

    conv = torch.nn.ConvTranspose1d(4, 3, 4, stride=2, padding=1)
    x = torch.randn(1, 4, 9, requires_grad=True)
    _PolyphaseUpsample()(x, conv).sum().backward()
    assert x.grad is not None and conv.weight.grad is not None


def test_decode_window_caps_mps_only():
    """MPS runs upstream's 32/8 window (conv1d output-length limit); other devices the asked one."""
    from mixgrv_app.core.torch_model.backend import decode_window

    assert decode_window("mps", 256, 64) == (32, 8)
    assert decode_window("mps", 16, 4) == (16, 4)
    assert decode_window("cpu", 1024, 64) == decode_window("cuda", 1024, 64) == (1024, 64)
