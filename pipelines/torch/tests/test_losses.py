import math

import torch

from memsieve_torch.losses import ce_loss_sum, soft_kd_loss_sum


def softmax(zs):
    m = max(zs)
    e = [math.exp(z - m) for z in zs]
    return [x / sum(e) for x in e]


def hand_kl(zt, zs, t):
    p, q = softmax([z / t for z in zt]), softmax([z / t for z in zs])
    return sum(pi * math.log(pi / qi) for pi, qi in zip(p, q))


def test_soft_kd_matches_a_hand_computation_and_scales_by_t_squared():
    teacher = torch.tensor([[[2.0, 0.5, -1.0], [0.1, 0.2, 3.0], [9.0, 9.0, 9.0]]])
    student = torch.tensor([[[0.0, 1.0, 0.0], [1.5, -0.5, 0.7], [1.0, 2.0, 3.0]]])
    mask = torch.tensor([[1, 1, 1]])  # positions 0 and 1 predict; the last one predicts past the row
    for t in (1.0, 2.0, 4.0):
        expected = t * t * sum(hand_kl(teacher[0, j].tolist(), student[0, j].tolist(), t) for j in range(2))
        got = soft_kd_loss_sum(student, teacher, mask, t).item()
        assert abs(got - expected) < 1e-5 * max(1, expected), (t, got, expected)


def test_soft_kd_is_zero_for_identical_models_and_ignores_padding():
    z = torch.randn(2, 5, 11)
    mask = torch.tensor([[1, 1, 1, 1, 1], [1, 1, 0, 0, 0]])
    assert soft_kd_loss_sum(z, z, mask, 2.0).item() < 1e-6
    other = torch.randn(2, 5, 11)
    padded = other.clone()
    padded[1, 2:] = 100.0  # garbage in padded positions must not count
    a = soft_kd_loss_sum(other, z, mask, 2.0).item()
    b = soft_kd_loss_sum(padded, z, mask, 2.0).item()
    assert abs(a - b) < 1e-5


def test_cross_entropy_matches_a_hand_computation():
    logits = torch.tensor([[[1.0, 2.0, 0.0], [0.0, 0.0, 5.0], [3.0, 1.0, 1.0]]])
    ids = torch.tensor([[0, 1, 2]])
    mask = torch.tensor([[1, 1, 0]])  # row of 2 tokens: only position 0 predicts
    expected = -math.log(softmax([1.0, 2.0, 0.0])[1])
    assert abs(ce_loss_sum(logits, ids, mask).item() - expected) < 1e-6
