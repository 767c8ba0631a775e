"""A from-scratch PyTorch implementation of the GLIDE architecture.

The module tree, parameter names and shapes follow the official glide-text2im
checkpoints exactly (Text2ImUNet, InpaintText2ImUNet, SuperResText2ImUNet,
SuperResInpaintText2ImUnet), so `model.load_state_dict(official_sd, strict=True)` works
and the forward pass reproduces the reference outputs in test/fixtures/glide-reference/.
Use `create_model(**options)` with glide-text2im's option names.
"""
import math

import torch
import torch.nn as nn
import torch.nn.functional as F

N_VOCAB = 50257  # GPT-2 byte-level BPE, as GLIDE


# ----------------------------------------------------------------------------- helpers
class GroupNorm32(nn.GroupNorm):
    """GroupNorm over 32 groups computed in float32, optionally followed by SiLU."""

    def __init__(self, num_channels, swish=0.0):
        super().__init__(32, num_channels)
        self.swish = swish

    def forward(self, x):
        y = super().forward(x.float()).to(x.dtype)
        if self.swish == 1.0:
            y = F.silu(y)
        elif self.swish:
            y = y * torch.sigmoid(y * float(self.swish))
        return y


class FP32LayerNorm(nn.LayerNorm):
    def forward(self, x):
        return super().forward(x.float()).to(x.dtype)


def zero_(module):
    for p in module.parameters():
        nn.init.zeros_(p)
    return module


def timestep_embedding(timesteps, dim, max_period=10000):
    half = dim // 2
    freqs = torch.exp(-math.log(max_period) * torch.arange(half, dtype=torch.float32, device=timesteps.device) / half)
    args = timesteps[:, None].float() * freqs[None]
    emb = torch.cat([torch.cos(args), torch.sin(args)], dim=-1)
    if dim % 2:
        emb = torch.cat([emb, torch.zeros_like(emb[:, :1])], dim=-1)
    return emb


# ----------------------------------------------------------------------------- text transformer
class TextAttention(nn.Module):
    def __init__(self, width, heads):
        super().__init__()
        self.heads = heads
        self.c_qkv = nn.Linear(width, width * 3)
        self.c_proj = nn.Linear(width, width)

    def forward(self, x):
        qkv = self.c_qkv(x)
        b, n, w3 = qkv.shape
        ch = w3 // self.heads // 3
        qkv = qkv.view(b, n, self.heads, 3 * ch)
        q, k, v = qkv.split(ch, dim=-1)
        s = 1.0 / math.sqrt(math.sqrt(ch))
        # einsum("bthc,bshc->bhts") / ("bhts,bshc->bthc") written as contiguous batched matmuls
        # (much faster on CPU with this torch build)
        q = (q * s).permute(0, 2, 1, 3).reshape(b * self.heads, n, ch)
        k = (k * s).permute(0, 2, 3, 1).reshape(b * self.heads, ch, n)
        v = v.permute(0, 2, 1, 3).reshape(b * self.heads, n, ch)
        w = torch.bmm(q, k)
        w = torch.softmax(w.float(), dim=-1).to(w.dtype)
        out = torch.bmm(w, v).reshape(b, self.heads, n, ch).permute(0, 2, 1, 3).reshape(b, n, -1)
        return self.c_proj(out)


class TextMLP(nn.Module):
    def __init__(self, width):
        super().__init__()
        self.c_fc = nn.Linear(width, width * 4)
        self.c_proj = nn.Linear(width * 4, width)

    def forward(self, x):
        return self.c_proj(F.gelu(self.c_fc(x)))


class TextBlock(nn.Module):
    def __init__(self, width, heads):
        super().__init__()
        self.attn = TextAttention(width, heads)
        self.ln_1 = FP32LayerNorm(width)
        self.mlp = TextMLP(width)
        self.ln_2 = FP32LayerNorm(width)

    def forward(self, x):
        x = x + self.attn(self.ln_1(x))
        return x + self.mlp(self.ln_2(x))


class Transformer(nn.Module):
    def __init__(self, width, layers, heads):
        super().__init__()
        self.resblocks = nn.ModuleList([TextBlock(width, heads) for _ in range(layers)])

    def forward(self, x):
        for blk in self.resblocks:
            x = blk(x)
        return x


# ----------------------------------------------------------------------------- U-Net blocks
class ResBlock(nn.Module):
    def __init__(self, channels, emb_channels, out_channels=None, dropout=0.0,
                 use_scale_shift_norm=True, up=False, down=False):
        super().__init__()
        out_channels = out_channels or channels
        self.use_scale_shift_norm = use_scale_shift_norm
        self.up, self.down = up, down
        self.in_layers = nn.Sequential(
            GroupNorm32(channels, swish=1.0), nn.Identity(),
            nn.Conv2d(channels, out_channels, 3, padding=1))
        self.emb_layers = nn.Sequential(
            nn.SiLU(), nn.Linear(emb_channels, 2 * out_channels if use_scale_shift_norm else out_channels))
        self.out_layers = nn.Sequential(
            GroupNorm32(out_channels, swish=0.0 if use_scale_shift_norm else 1.0),
            nn.SiLU() if use_scale_shift_norm else nn.Identity(),
            nn.Dropout(p=dropout),
            zero_(nn.Conv2d(out_channels, out_channels, 3, padding=1)))
        if out_channels == channels:
            self.skip_connection = nn.Identity()
        else:
            self.skip_connection = nn.Conv2d(channels, out_channels, 1)

    def _resample(self, x):
        if self.up:
            return F.interpolate(x, scale_factor=2, mode="nearest")
        if self.down:
            return F.avg_pool2d(x, kernel_size=2, stride=2)
        return x

    def forward(self, x, emb):
        if self.up or self.down:
            h = self.in_layers[:-1](x)
            h = self._resample(h)
            x = self._resample(x)
            h = self.in_layers[-1](h)
        else:
            h = self.in_layers(x)
        e = self.emb_layers(emb).to(h.dtype)[..., None, None]
        if self.use_scale_shift_norm:
            scale, shift = e.chunk(2, dim=1)
            h = self.out_layers[0](h) * (1 + scale) + shift
            h = self.out_layers[1:](h)
        else:
            h = self.out_layers(h + e)
        return self.skip_connection(x) + h


class AttentionBlock(nn.Module):
    """Spatial self-attention whose keys/values are extended with the text tokens."""

    def __init__(self, channels, num_heads=1, num_head_channels=-1, encoder_channels=None):
        super().__init__()
        self.num_heads = num_heads if num_head_channels == -1 else channels // num_head_channels
        self.norm = GroupNorm32(channels, swish=0.0)
        self.qkv = nn.Conv1d(channels, channels * 3, 1)
        if encoder_channels is not None:
            self.encoder_kv = nn.Conv1d(encoder_channels, channels * 2, 1)
        self.proj_out = zero_(nn.Conv1d(channels, channels, 1))

    def forward(self, x, encoder_out=None):
        b, c, *spatial = x.shape
        qkv = self.qkv(self.norm(x).reshape(b, c, -1))
        nh = self.num_heads
        length = qkv.shape[-1]
        ch = c // nh
        q, k, v = qkv.reshape(b * nh, ch * 3, length).split(ch, dim=1)
        if encoder_out is not None:
            ekv = self.encoder_kv(encoder_out)
            ek, ev = ekv.reshape(b * nh, ch * 2, -1).split(ch, dim=1)
            k = torch.cat([ek, k], dim=-1)
            v = torch.cat([ev, v], dim=-1)
        s = 1.0 / math.sqrt(math.sqrt(ch))
        # einsum("bct,bcs->bts") and ("bts,bcs->bct") as contiguous batched matmuls
        w = torch.bmm((q * s).transpose(1, 2).contiguous(), (k * s).contiguous())
        w = torch.softmax(w.float(), dim=-1).to(w.dtype)
        a = torch.bmm(v.contiguous(), w.transpose(1, 2).contiguous()).reshape(b, c, length)
        return x + self.proj_out(a).reshape(b, c, *spatial)


class TimestepEmbedSequential(nn.Sequential):
    def forward(self, x, emb, encoder_out=None):
        for layer in self:
            if isinstance(layer, ResBlock):
                x = layer(x, emb)
            elif isinstance(layer, AttentionBlock):
                x = layer(x, encoder_out)
            else:
                x = layer(x)
        return x


# ----------------------------------------------------------------------------- U-Net
class Text2ImUNet(nn.Module):
    def __init__(self, text_ctx, xf_width, xf_layers, xf_heads, xf_final_ln, xf_padding,
                 in_channels, model_channels, out_channels, num_res_blocks, attention_resolutions,
                 dropout=0.0, channel_mult=(1, 2, 4, 8), num_heads=1, num_head_channels=-1,
                 num_heads_upsample=-1, use_scale_shift_norm=True, resblock_updown=True):
        super().__init__()
        if num_heads_upsample == -1:
            num_heads_upsample = num_heads
        self.model_channels = model_channels
        self.text_ctx = text_ctx
        self.xf_width = xf_width
        self.xf_padding = xf_padding
        enc_ch = xf_width if xf_width else None
        ted = model_channels * 4
        self.time_embed = nn.Sequential(nn.Linear(model_channels, ted), nn.SiLU(), nn.Linear(ted, ted))

        ch = int(channel_mult[0] * model_channels)
        self.input_blocks = nn.ModuleList([TimestepEmbedSequential(nn.Conv2d(in_channels, ch, 3, padding=1))])
        chans = [ch]
        ds = 1
        for level, mult in enumerate(channel_mult):
            for _ in range(num_res_blocks):
                layers = [ResBlock(ch, ted, int(mult * model_channels), dropout, use_scale_shift_norm)]
                ch = int(mult * model_channels)
                if ds in attention_resolutions:
                    layers.append(AttentionBlock(ch, num_heads, num_head_channels, enc_ch))
                self.input_blocks.append(TimestepEmbedSequential(*layers))
                chans.append(ch)
            if level != len(channel_mult) - 1:
                if resblock_updown:
                    down = ResBlock(ch, ted, ch, dropout, use_scale_shift_norm, down=True)
                else:
                    raise NotImplementedError("resblock_updown=False is not used by GLIDE")
                self.input_blocks.append(TimestepEmbedSequential(down))
                chans.append(ch)
                ds *= 2
        self.middle_block = TimestepEmbedSequential(
            ResBlock(ch, ted, ch, dropout, use_scale_shift_norm),
            AttentionBlock(ch, num_heads, num_head_channels, enc_ch),
            ResBlock(ch, ted, ch, dropout, use_scale_shift_norm))
        self.output_blocks = nn.ModuleList()
        for level, mult in list(enumerate(channel_mult))[::-1]:
            for i in range(num_res_blocks + 1):
                ich = chans.pop()
                layers = [ResBlock(ch + ich, ted, int(model_channels * mult), dropout, use_scale_shift_norm)]
                ch = int(model_channels * mult)
                if ds in attention_resolutions:
                    layers.append(AttentionBlock(ch, num_heads_upsample, num_head_channels, enc_ch))
                if level and i == num_res_blocks:
                    layers.append(ResBlock(ch, ted, ch, dropout, use_scale_shift_norm, up=True))
                    ds //= 2
                self.output_blocks.append(TimestepEmbedSequential(*layers))
        self.out = nn.Sequential(GroupNorm32(ch, swish=1.0), nn.Identity(),
                                 zero_(nn.Conv2d(ch, out_channels, 3, padding=1)))

        if xf_width:
            self.transformer = Transformer(xf_width, xf_layers, xf_heads)
            self.final_ln = FP32LayerNorm(xf_width) if xf_final_ln else None
            self.token_embedding = nn.Embedding(N_VOCAB, xf_width)
            self.positional_embedding = nn.Parameter(torch.empty(text_ctx, xf_width))
            self.transformer_proj = nn.Linear(xf_width, model_channels * 4)
            if xf_padding:
                self.padding_embedding = nn.Parameter(torch.empty(text_ctx, xf_width))
            self._init_text()

    def _init_text(self):
        # The official code leaves these to the caller; small normal init trains well.
        nn.init.normal_(self.token_embedding.weight, std=0.02)
        nn.init.normal_(self.positional_embedding, std=0.01)
        if self.xf_padding:
            nn.init.normal_(self.padding_embedding, std=0.01)

    def get_text_emb(self, tokens, mask):
        xf_in = self.token_embedding(tokens.long()) + self.positional_embedding[None]
        if self.xf_padding:
            xf_in = torch.where(mask[..., None], xf_in, self.padding_embedding[None])
        xf_out = self.transformer(xf_in)
        if self.final_ln is not None:
            xf_out = self.final_ln(xf_out)
        xf_proj = self.transformer_proj(xf_out[:, -1])
        return xf_proj, xf_out.permute(0, 2, 1)

    def unet_forward(self, x, timesteps, xf_proj=None, xf_out=None):
        emb = self.time_embed(timestep_embedding(timesteps, self.model_channels))
        if xf_proj is not None:
            emb = emb + xf_proj.to(emb)
        hs = []
        h = x
        for m in self.input_blocks:
            h = m(h, emb, xf_out)
            hs.append(h)
        h = self.middle_block(h, emb, xf_out)
        for m in self.output_blocks:
            h = m(torch.cat([h, hs.pop()], dim=1), emb, xf_out)
        return self.out(h)

    def forward(self, x, timesteps, tokens=None, mask=None):
        xf_proj = xf_out = None
        if self.xf_width:
            xf_proj, xf_out = self.get_text_emb(tokens, mask)
        return self.unet_forward(x, timesteps, xf_proj, xf_out)


class InpaintText2ImUNet(Text2ImUNet):
    def __init__(self, *args, in_channels=3, **kw):
        super().__init__(*args, in_channels=in_channels * 2 + 1, **kw)

    def forward(self, x, timesteps, inpaint_image=None, inpaint_mask=None, **kw):
        if inpaint_image is None:
            inpaint_image = torch.zeros_like(x)
        if inpaint_mask is None:
            inpaint_mask = torch.zeros_like(x[:, :1])
        return super().forward(torch.cat([x, inpaint_image * inpaint_mask, inpaint_mask], dim=1), timesteps, **kw)


class SuperResText2ImUNet(Text2ImUNet):
    def __init__(self, *args, in_channels=3, **kw):
        super().__init__(*args, in_channels=in_channels * 2, **kw)

    def forward(self, x, timesteps, low_res=None, **kw):
        up = F.interpolate(low_res, x.shape[2:], mode="bilinear", align_corners=False)
        return super().forward(torch.cat([x, up], dim=1), timesteps, **kw)


class SuperResInpaintText2ImUnet(Text2ImUNet):
    def __init__(self, *args, in_channels=3, **kw):
        super().__init__(*args, in_channels=in_channels * 3 + 1, **kw)

    def forward(self, x, timesteps, inpaint_image=None, inpaint_mask=None, low_res=None, **kw):
        if inpaint_image is None:
            inpaint_image = torch.zeros_like(x)
        if inpaint_mask is None:
            inpaint_mask = torch.zeros_like(x[:, :1])
        up = F.interpolate(low_res, x.shape[2:], mode="bilinear", align_corners=False)
        return super().forward(torch.cat([x, inpaint_image * inpaint_mask, inpaint_mask, up], dim=1),
                               timesteps, **kw)


def model_class(inpaint, super_res):
    if inpaint and super_res:
        return SuperResInpaintText2ImUnet
    if inpaint:
        return InpaintText2ImUNet
    if super_res:
        return SuperResText2ImUNet
    return Text2ImUNet


def parse_channel_mult(channel_mult, image_size):
    if channel_mult == "" or channel_mult is None:
        return {256: (1, 1, 2, 2, 4, 4), 128: (1, 1, 2, 3, 4), 64: (1, 2, 3, 4)}[image_size]
    if isinstance(channel_mult, str):
        return tuple(int(c) for c in channel_mult.split(","))
    return tuple(channel_mult)


def create_model(image_size, num_channels, num_res_blocks, channel_mult, attention_resolutions,
                 num_heads=1, num_head_channels=-1, num_heads_upsample=-1, dropout=0.0,
                 text_ctx=128, xf_width=512, xf_layers=16, xf_heads=8, xf_final_ln=True,
                 xf_padding=True, use_scale_shift_norm=True, resblock_updown=True,
                 inpaint=False, super_res=False, **_ignored):
    """Build a model from glide-text2im's option dict (extra keys such as diffusion_steps are ignored)."""
    mult = parse_channel_mult(channel_mult, image_size)
    if isinstance(attention_resolutions, str):
        attention_resolutions = [int(r) for r in attention_resolutions.split(",") if r]
    attention_ds = tuple(image_size // int(r) for r in attention_resolutions)
    cls = model_class(inpaint, super_res)
    return cls(text_ctx=text_ctx, xf_width=xf_width, xf_layers=xf_layers, xf_heads=xf_heads,
               xf_final_ln=xf_final_ln, xf_padding=xf_padding, in_channels=3,
               model_channels=num_channels, out_channels=6, num_res_blocks=num_res_blocks,
               attention_resolutions=attention_ds, dropout=dropout, channel_mult=mult,
               num_heads=num_heads, num_head_channels=num_head_channels,
               num_heads_upsample=num_heads_upsample, use_scale_shift_norm=use_scale_shift_norm,
               resblock_updown=resblock_updown)
