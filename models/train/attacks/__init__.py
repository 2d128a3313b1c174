"""Attack suite against the shipped cadguard classifier (GitHub issue 4).

Everything here works on the DISPLAY image (H x W, values in [0, 1]) and reaches the classifier through a
differentiable twin of mammo-crop-v1 (`diffprep`), so a perturbation is optimised end to end exactly as the SDK
would see it. The classifier is the shipped ONNX file run in torch (`onnx_torch`), not a retrained copy.
"""
