"""White-box attacks on the display image: FGSM, PGD (L-inf and L2), MI-FGSM and Carlini-Wagner L2.

All attacks maximise `objective(x) -> [N]`, the signed distance of the classifier's logit past the decision
threshold in the wanted direction (positive once the decision has flipped). The iterative attacks share one
batched loop, so FGSM, five PGD budgets, PGD-L2 and MI-FGSM on one image cost one batch of passes.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch

Objective = "callable[[torch.Tensor], torch.Tensor]"


@dataclass(frozen=True)
class StepAttack:
    """One item of the batched loop. eps in display units ([0, 1] scale; L2 over the whole image)."""
    family: str
    eps: float
    norm: str = "inf"          # "inf" or "2"
    steps: int = 10
    alpha: float | None = None  # step size; default 2.5 * eps / steps
    momentum: float = 0.0       # MI-FGSM decay (0: plain PGD)
    random_start: bool = True


def fgsm(eps: float) -> StepAttack:
    return StepAttack("fgsm", eps, steps=1, alpha=eps, random_start=False)


def pgd_linf(eps: float, steps: int = 10) -> StepAttack:
    return StepAttack("pgd_linf", eps, steps=steps)


def pgd_l2(eps: float, steps: int = 10) -> StepAttack:
    return StepAttack("pgd_l2", eps, norm="2", steps=steps)


def mi_fgsm(eps: float, steps: int = 10) -> StepAttack:
    return StepAttack("mi_fgsm", eps, steps=steps, alpha=eps / steps, momentum=1.0, random_start=False)


def _l2(t: torch.Tensor) -> torch.Tensor:
    return t.flatten(1).norm(dim=1).clamp_min(1e-12).view(-1, 1, 1)


def run_step_attacks(objective, x0: torch.Tensor, attacks: list[StepAttack], generator: torch.Generator,
                     region: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """Batched FGSM/PGD/MI-FGSM from the clean display x0 [H, W]. Returns (adversarial [N, H, W], best objective [N]).

    Each item keeps its best iterate (largest objective). `region` [H, W] (0/1) restricts the perturbation to the
    pixels that reach the classifier (the crop box), so the random start does not scatter noise elsewhere.
    """
    n = len(attacks)
    eps = torch.tensor([a.eps for a in attacks]).view(n, 1, 1)
    alpha = torch.tensor([a.alpha if a.alpha is not None else 2.5 * a.eps / a.steps for a in attacks]).view(n, 1, 1)
    steps = torch.tensor([a.steps for a in attacks])
    is_l2 = torch.tensor([a.norm == "2" for a in attacks]).view(n, 1, 1)
    mu = torch.tensor([a.momentum for a in attacks]).view(n, 1, 1)
    region = torch.ones_like(x0) if region is None else region
    x0b = x0.expand(n, *x0.shape)

    delta = torch.zeros_like(x0b)
    for i, a in enumerate(attacks):
        if not a.random_start:
            continue
        noise = torch.rand(x0.shape, generator=generator) * 2 - 1
        if a.norm == "inf":
            delta[i] = noise * a.eps
        else:
            noise = noise * region
            delta[i] = noise / noise.norm() * a.eps * float(torch.rand(1, generator=generator))
    delta = (x0b + delta * region).clamp(0, 1) - x0b
    grad_mem = torch.zeros_like(x0b)
    # Best iterate per item; the clean image itself is never eligible (an item without random start starts there).
    best = x0b + delta
    best_obj = torch.full((n,), -float("inf"))
    started_random = torch.tensor([a.random_start for a in attacks])
    for step in range(int(steps.max())):
        active = (steps > step).view(n, 1, 1)
        delta.requires_grad_(True)
        obj = objective(x0b + delta)
        grad, = torch.autograd.grad(obj.sum(), delta)
        with torch.no_grad():
            better = (obj > best_obj) & (started_random | (step > 0))
            best = torch.where(better.view(n, 1, 1), x0b + delta, best)
            best_obj = torch.where(better, obj, best_obj)
            grad = grad * region
            grad_mem = mu * grad_mem + grad / grad.abs().flatten(1).mean(dim=1).clamp_min(1e-12).view(n, 1, 1)
            g = torch.where(mu > 0, grad_mem, grad)
            update = torch.where(is_l2, alpha * g / _l2(g), alpha * g.sign())
            new = delta + update
            # Projection onto each item's ball, then onto the valid display range.
            new = torch.where(is_l2, new * torch.clamp(eps / _l2(new), max=1.0), new.clamp(-eps, eps))
            new = (x0b + new).clamp(0, 1) - x0b
            delta = torch.where(active, new, delta).detach()
    with torch.no_grad():
        obj = objective(x0b + delta)
        better = obj > best_obj
        best = torch.where(better.view(n, 1, 1), x0b + delta, best)
        best_obj = torch.where(better, obj, best_obj)
    return best.detach(), best_obj


def pgd_keep_best(loss_fn, x0: torch.Tensor, delta: torch.Tensor, eps: torch.Tensor, alpha: torch.Tensor,
                  region: torch.Tensor, steps: int) -> torch.Tensor:
    """Sign-gradient ascent of `loss_fn` ([N, H, W] -> [N]) from x0 + delta, L-inf ball `eps` [N,1,1], step `alpha`,
    changes only where `region` is 1, image kept in [0, 1]; returns each item's iterate with the largest loss."""
    n = delta.shape[0]
    best = (x0 + delta).detach()
    best_loss = torch.full((n,), -float("inf"))
    for _ in range(steps):
        delta.requires_grad_(True)
        loss = loss_fn(x0 + delta)
        grad, = torch.autograd.grad(loss.sum(), delta)
        with torch.no_grad():
            better = loss > best_loss
            best = torch.where(better.view(n, 1, 1), x0 + delta, best)
            best_loss = torch.where(better, loss, best_loss)
            delta = (delta + alpha * (grad * region).sign()).clamp(-eps, eps)
            delta = ((x0 + delta).clamp(0, 1) - x0).detach()
    with torch.no_grad():
        better = loss_fn(x0 + delta) > best_loss
        return torch.where(better.view(n, 1, 1), x0 + delta, best)


def carlini_wagner_l2(objective, x0: torch.Tensor, steps: int = 20, c: float = 1.0, lr: float = 0.01,
                      kappa: float = 0.5, region: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """Carlini-Wagner L2 (tanh box, Adam) with one constant c and `steps` steps: a modest, unsearched version.

    Minimises ||x - x0||^2 + c * max(kappa - objective, 0); keeps the flipped iterate of smallest L2, else the last.
    """
    region = torch.ones_like(x0) if region is None else region
    x0c = x0.clamp(1e-4, 1 - 1e-4)
    w0 = torch.atanh(2 * x0c - 1)
    w = w0.clone().unsqueeze(0).requires_grad_(True)
    opt = torch.optim.Adam([w], lr=lr)
    best, best_l2, best_obj = None, float("inf"), None
    for _ in range(steps):
        x = torch.where(region > 0, 0.5 * (torch.tanh(w) + 1), x0.unsqueeze(0))
        obj = objective(x)
        l2 = ((x - x0) ** 2).sum()
        loss = l2 + c * torch.clamp(kappa - obj, min=0).sum()
        if float(obj) > 0 and float(l2) < best_l2:
            best, best_l2, best_obj = x.detach().clone(), float(l2), obj.detach().clone()
        opt.zero_grad()
        loss.backward()
        opt.step()
    if best is None:
        with torch.no_grad():
            best = torch.where(region > 0, 0.5 * (torch.tanh(w) + 1), x0.unsqueeze(0))
            best_obj = objective(best)
    return best, best_obj
