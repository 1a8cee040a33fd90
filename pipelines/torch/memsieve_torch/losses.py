"""Training losses, summed over predicting positions so gradient accumulation divides once by the
whole batch's position count. Position j predicts ids[j+1]; it counts when ids[j+1] is real."""

import torch.nn.functional as F


def predicting_mask(attention_mask):
    return attention_mask[:, 1:].bool()


def ce_loss_sum(student_logits, input_ids, attention_mask):
    """Sum over positions of −log p_student(ids[j+1] | ids[≤j]) (plain cross-entropy, and hard KD on
    the teacher's generations)."""
    logits = student_logits[:, :-1].float()
    nll = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), input_ids[:, 1:].reshape(-1), reduction="none")
    return (nll.view(input_ids.shape[0], -1) * predicting_mask(attention_mask)).sum()


def soft_kd_loss_sum(student_logits, teacher_logits, attention_mask, temperature):
    """T² · Σ_positions KL(softmax(z_teacher/T) ‖ softmax(z_student/T)) — forward KL, Borkar et al. Eq. 1.
    The T² keeps gradient magnitudes comparable across temperatures (Hinton et al. 2015)."""
    t = temperature
    log_p_teacher = F.log_softmax(teacher_logits[:, :-1].float() / t, dim=-1)
    log_p_student = F.log_softmax(student_logits[:, :-1].float() / t, dim=-1)
    kl = (log_p_teacher.exp() * (log_p_teacher - log_p_student)).sum(dim=-1)
    return t * t * (kl * predicting_mask(attention_mask)).sum()
