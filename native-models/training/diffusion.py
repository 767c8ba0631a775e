"""Gaussian diffusion as GLIDE uses it: learned-range variance (6 output channels), eps
prediction, the improved-DDPM "hybrid" loss (eps MSE + variational bound with a stop-gradient
on the mean), timestep respacing, ancestral and DDIM sampling. Written from the papers
(Ho et al. 2020, Nichol & Dhariwal 2021, Nichol et al. 2021)."""
import math

import numpy as np
import torch


# ----------------------------------------------------------------------------- schedules
def betas_for_alpha_bar(n, alpha_bar, max_beta=0.999):
    return np.array([min(1 - alpha_bar((i + 1) / n) / alpha_bar(i / n), max_beta) for i in range(n)],
                    dtype=np.float64)


def get_named_beta_schedule(name, n):
    if name == "linear":
        scale = 1000 / n
        return np.linspace(scale * 0.0001, scale * 0.02, n, dtype=np.float64)
    if name == "squaredcos_cap_v2":
        return betas_for_alpha_bar(n, lambda t: math.cos((t + 0.008) / 1.008 * math.pi / 2) ** 2)
    raise ValueError(f"unknown noise schedule {name}")


def space_timesteps(num_timesteps, section_counts):
    """The kept timesteps for a respacing string such as "100", "fast27", "ddim50", "10,10,3"."""
    if isinstance(section_counts, str):
        if section_counts == "fast27":
            # GLIDE's fast schedule: avoid the noisiest step (DDIM artifacts).
            steps = space_timesteps(num_timesteps, "10,10,3,2,2")
            steps.remove(num_timesteps - 1)
            steps.add(num_timesteps - 3)
            return steps
        if section_counts.startswith("ddim"):
            desired = int(section_counts[len("ddim"):])
            for stride in range(1, num_timesteps):
                if len(range(0, num_timesteps, stride)) == desired:
                    return set(range(0, num_timesteps, stride))
            raise ValueError(f"cannot create exactly {desired} steps with an integer stride")
        section_counts = [int(x) for x in section_counts.split(",")]
    size_per = num_timesteps // len(section_counts)
    extra = num_timesteps % len(section_counts)
    start = 0
    steps = []
    for i, count in enumerate(section_counts):
        size = size_per + (1 if i < extra else 0)
        if size < count:
            raise ValueError(f"cannot divide section of {size} steps into {count}")
        stride = 1 if count <= 1 else (size - 1) / (count - 1)
        cur = 0.0
        for _ in range(count):
            steps.append(start + round(cur))
            cur += stride
        start += size
    return set(steps)


def normal_kl(mean1, logvar1, mean2, logvar2):
    return 0.5 * (-1.0 + logvar2 - logvar1 + torch.exp(logvar1 - logvar2)
                  + ((mean1 - mean2) ** 2) * torch.exp(-logvar2))


def approx_standard_normal_cdf(x):
    return 0.5 * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * torch.pow(x, 3))))


def discretized_gaussian_log_likelihood(x, means, log_scales):
    centered = x - means
    inv_stdv = torch.exp(-log_scales)
    cdf_plus = approx_standard_normal_cdf(inv_stdv * (centered + 1.0 / 255.0))
    cdf_min = approx_standard_normal_cdf(inv_stdv * (centered - 1.0 / 255.0))
    log_cdf_plus = torch.log(cdf_plus.clamp(min=1e-12))
    log_one_minus_cdf_min = torch.log((1.0 - cdf_min).clamp(min=1e-12))
    cdf_delta = cdf_plus - cdf_min
    return torch.where(x < -0.999, log_cdf_plus,
                       torch.where(x > 0.999, log_one_minus_cdf_min, torch.log(cdf_delta.clamp(min=1e-12))))


def mean_flat(t):
    return t.mean(dim=list(range(1, t.ndim)))


# ----------------------------------------------------------------------------- diffusion
class GaussianDiffusion:
    """Diffusion over `betas`; `timestep_map[i]` is the original timestep of index i (respacing)."""

    def __init__(self, betas, timestep_map=None):
        betas = np.asarray(betas, dtype=np.float64)
        self.betas = betas
        self.num_timesteps = len(betas)
        self.timestep_map = np.arange(len(betas)) if timestep_map is None else np.asarray(timestep_map)
        alphas = 1.0 - betas
        self.alphas_cumprod = np.cumprod(alphas)
        self.alphas_cumprod_prev = np.append(1.0, self.alphas_cumprod[:-1])
        self.sqrt_alphas_cumprod = np.sqrt(self.alphas_cumprod)
        self.sqrt_one_minus_alphas_cumprod = np.sqrt(1.0 - self.alphas_cumprod)
        self.sqrt_recip_alphas_cumprod = np.sqrt(1.0 / self.alphas_cumprod)
        self.sqrt_recipm1_alphas_cumprod = np.sqrt(1.0 / self.alphas_cumprod - 1)
        self.posterior_variance = betas * (1.0 - self.alphas_cumprod_prev) / (1.0 - self.alphas_cumprod)
        self.posterior_log_variance_clipped = np.log(
            np.append(self.posterior_variance[1], self.posterior_variance[1:]))
        self.posterior_mean_coef1 = betas * np.sqrt(self.alphas_cumprod_prev) / (1.0 - self.alphas_cumprod)
        self.posterior_mean_coef2 = (1.0 - self.alphas_cumprod_prev) * np.sqrt(alphas) / (1.0 - self.alphas_cumprod)
        self.log_betas = np.log(betas)
        self._on_device = {}  # (id of a schedule array, device) -> that array as a tensor there

    @classmethod
    def create(cls, noise_schedule, steps=1000, respacing="", max_timestep=None):
        """Respaced diffusion; max_timestep keeps only the kept steps <= it (to start from a noised image)."""
        betas = get_named_beta_schedule(noise_schedule, steps)
        if not respacing and max_timestep is None:
            return cls(betas)
        use = space_timesteps(steps, respacing) if respacing else set(range(steps))
        if max_timestep is not None:
            use = {t for t in use if t <= max_timestep}
        acp = np.cumprod(1.0 - betas)
        last, new_betas, tmap = 1.0, [], []
        for i, a in enumerate(acp):
            if i in use:
                new_betas.append(1 - a / last)
                last = a
                tmap.append(i)
        return cls(np.array(new_betas), tmap)

    def _on(self, arr, device):
        """A schedule array as a tensor on `device`, copied there once rather than at every call."""
        key = (id(arr), device)
        if key not in self._on_device:
            self._on_device[key] = torch.from_numpy(arr).to(device)
        return self._on_device[key]

    def _ex(self, arr, t, shape):
        return self._on(arr, t.device)[t].float().reshape(-1, *([1] * (len(shape) - 1)))

    def model_timesteps(self, t):
        return self._on(self.timestep_map, t.device)[t].long()

    def q_sample(self, x0, t, noise):
        return self._ex(self.sqrt_alphas_cumprod, t, x0.shape) * x0 + \
            self._ex(self.sqrt_one_minus_alphas_cumprod, t, x0.shape) * noise

    def q_posterior(self, x0, xt, t):
        mean = self._ex(self.posterior_mean_coef1, t, xt.shape) * x0 + self._ex(self.posterior_mean_coef2, t, xt.shape) * xt
        return mean, self._ex(self.posterior_variance, t, xt.shape), self._ex(self.posterior_log_variance_clipped, t, xt.shape)

    def predict_xstart_from_eps(self, xt, t, eps):
        return self._ex(self.sqrt_recip_alphas_cumprod, t, xt.shape) * xt - self._ex(self.sqrt_recipm1_alphas_cumprod, t, xt.shape) * eps

    def predict_eps_from_xstart(self, xt, t, x0):
        return (self._ex(self.sqrt_recip_alphas_cumprod, t, xt.shape) * xt - x0) / self._ex(self.sqrt_recipm1_alphas_cumprod, t, xt.shape)

    def p_mean_variance(self, model_output, xt, t, clip_denoised=True, denoised_fn=None):
        c = xt.shape[1]
        eps, v = model_output[:, :c], model_output[:, c:]
        min_log = self._ex(self.posterior_log_variance_clipped, t, xt.shape)
        max_log = self._ex(self.log_betas, t, xt.shape)
        frac = (v + 1) / 2
        log_var = frac * max_log + (1 - frac) * min_log
        x0 = self.predict_xstart_from_eps(xt, t, eps)
        if denoised_fn is not None:
            x0 = denoised_fn(x0)
        if clip_denoised:
            x0 = x0.clamp(-1, 1)
        mean, _, _ = self.q_posterior(x0, xt, t)
        return {"mean": mean, "log_variance": log_var, "pred_xstart": x0, "eps": eps}

    # ------------------------------------------------------------------ training
    def training_losses(self, model_fn, x0, t, noise=None, lowfreq_weight=0.0):
        """Hybrid loss. `model_fn(x_t, model_timesteps)` returns [N, 6, H, W].

        lowfreq_weight > 0 adds the squared error of the eps prediction averaged over 4, 8, 16, ...
        pixel blocks up to the whole image, block size s weighted lowfreq_weight * s. It is a
        positive-definite reweighting of the same eps error, so the optimum is still E[eps | x_t]
        (the GLIDE objective's); it makes the image-wide colour that the noisiest steps decide
        count as much as it matters when sampling."""
        if noise is None:
            noise = torch.randn_like(x0)
        xt = self.q_sample(x0, t, noise)
        out = model_fn(xt, self.model_timesteps(t))
        c = x0.shape[1]
        eps, v = out[:, :c], out[:, c:]
        mse = mean_flat((noise - eps) ** 2)
        lowfreq = torch.zeros_like(mse)
        if lowfreq_weight > 0:
            err, s = noise - eps, 4
            while s <= err.shape[-1]:
                lowfreq = lowfreq + lowfreq_weight * s * mean_flat(torch.nn.functional.avg_pool2d(err, s) ** 2)
                s *= 2
        frozen = torch.cat([eps.detach(), v], dim=1)
        true_mean, _, true_logvar = self.q_posterior(x0, xt, t)
        p = self.p_mean_variance(frozen, xt, t, clip_denoised=False)
        kl = mean_flat(normal_kl(true_mean, true_logvar, p["mean"], p["log_variance"])) / math.log(2.0)
        nll = -mean_flat(discretized_gaussian_log_likelihood(x0, p["mean"], 0.5 * p["log_variance"])) / math.log(2.0)
        vb = torch.where(t == 0, nll, kl) * (self.num_timesteps / 1000.0)
        return {"loss": mse + lowfreq + vb, "mse": mse, "vb": vb, "lowfreq": lowfreq}

    # ------------------------------------------------------------------ sampling
    def p_sample(self, model_output, xt, t, noise, clip_denoised=True, denoised_fn=None):
        out = self.p_mean_variance(model_output, xt, t, clip_denoised, denoised_fn)
        nonzero = (t != 0).float().reshape(-1, *([1] * (xt.ndim - 1)))
        return out["mean"] + nonzero * torch.exp(0.5 * out["log_variance"]) * noise, out["pred_xstart"]

    def ddim_sample(self, model_output, xt, t, noise, eta=0.0, clip_denoised=True, denoised_fn=None):
        out = self.p_mean_variance(model_output, xt, t, clip_denoised, denoised_fn)
        eps = self.predict_eps_from_xstart(xt, t, out["pred_xstart"])
        ab = self._ex(self.alphas_cumprod, t, xt.shape)
        abp = self._ex(self.alphas_cumprod_prev, t, xt.shape)
        sigma = eta * torch.sqrt((1 - abp) / (1 - ab)) * torch.sqrt(1 - ab / abp)
        mean = out["pred_xstart"] * torch.sqrt(abp) + torch.sqrt(1 - abp - sigma ** 2) * eps
        nonzero = (t != 0).float().reshape(-1, *([1] * (xt.ndim - 1)))
        return mean + nonzero * sigma * noise, out["pred_xstart"]

    def sample_loop(self, model_fn, shape, x_T=None, generator=None, ddim=False, eta=0.0,
                    clip_denoised=True, denoised_fn=None, step_noise=None, callback=None):
        """model_fn(x_t, model_timesteps) -> [N,6,H,W]. Returns the final sample."""
        x = x_T if x_T is not None else torch.randn(shape, generator=generator)
        for i, idx in enumerate(reversed(range(self.num_timesteps))):
            t = torch.full((x.shape[0],), idx, dtype=torch.long)
            with torch.no_grad():
                out = model_fn(x, self.model_timesteps(t))
            noise = step_noise[i] if step_noise is not None else torch.randn(x.shape, generator=generator)
            if ddim:
                x, x0 = self.ddim_sample(out, x, t, noise, eta, clip_denoised, denoised_fn)
            else:
                x, x0 = self.p_sample(out, x, t, noise, clip_denoised, denoised_fn)
            if callback is not None:
                callback(i, x, x0)
        return x


def guided_model_fn(model, guidance_scale, **cond_kwargs):
    """Classifier-free guidance as the GLIDE notebook: the batch is [cond..., uncond...]; both halves
    get x of the first half; eps is guided, the variance channels come from each row's own output."""
    def fn(x, ts):
        half = x[: len(x) // 2]
        combined = torch.cat([half, half], dim=0)
        out = model(combined, ts, **cond_kwargs)
        eps, rest = out[:, :3], out[:, 3:]
        cond_eps, uncond_eps = torch.split(eps, len(eps) // 2, dim=0)
        half_eps = uncond_eps + guidance_scale * (cond_eps - uncond_eps)
        return torch.cat([torch.cat([half_eps, half_eps], dim=0), rest], dim=1)
    return fn
