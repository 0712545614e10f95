"""The classroom assignments (assignments/): student versions made by nbgrader, grading by
scripts/assignments.py in a sandbox, tested offline in a temporary copy.

One session fixture generates every student version and grades, for every assignment, three
submissions in one `grade` run:
  reference  - the student version with the teacher's solutions filled in: full marks
  blank      - the student version as handed out: zero, and no crash
  hardcoded  - the public tests' expected answers written into the code: passes the public tests,
               fails the hidden ones (fresh random inputs)
plus, in EXTRA, students with an expected total per assignment: the book's code copied where the task
goes beyond it (book_formulas, conv_without_im2col, first_max_rule, book_loss_only, chapter6_layer,
book_conv3x3, chapter5_transcription, chapter4_jacobian), the book under the graded
names (book_aliases: wrapper def, functools.partial, lambda), a right answer in float32 that warns and
writes to stderr (float32_noisy) and a Keras model class that overrides fit/evaluate/predict.
The hostile submissions (wrappers, monkeypatching, tampering, hangs, broken files) are in
tests/test_grading_adversarial.py.
"""

import csv
import importlib.util
import re
import shutil
import time
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
spec = importlib.util.spec_from_file_location("assignments_cli", ROOT / "scripts" / "assignments.py")
assignments = importlib.util.module_from_spec(spec)
spec.loader.exec_module(assignments)

NAMES = assignments.assignment_names()
STUDENTS = ("reference", "blank", "hardcoded")

# What a student who only wants the public tests to pass might write: the expected answers of the
# public tests, looked up instead of computed.  Keyed by assignment, then by solution cell (grade_id).
HARDCODED = {
    "01_conv_padding": {
        "conv_output_size": """
def conv_output_size(n, k, p=0, s=1, d=1):
    return {(28, 3, 0, 1, 1): 26, (28, 3, 1, 1, 1): 28, (13, 6, 0, 5, 1): 2, (28, 3, 0, 1, 2): 24,
            (10, 3, 0, 2, 3): 2}[(n, k, p, s, d)]
""",
        "same_padding": """
def same_padding(n, k, s=1, d=1):
    return {(13, 6, 5, 1): (1, 2), (28, 3, 1, 1): (1, 1), (4, 2, 1, 1): (0, 1), (28, 3, 1, 2): (2, 2),
            (10, 3, 2, 2): (1, 2)}[(n, k, s, d)]
""",
        "im2col": """
def im2col(x, kh, kw, stride=1):
    if np.shape(x) == (3, 3, 2):
        return np.array([[0, 1, 2, 3, 6, 7, 8, 9], [2, 3, 4, 5, 8, 9, 10, 11], [6, 7, 8, 9, 12, 13, 14, 15],
                         [8, 9, 10, 11, 14, 15, 16, 17]], dtype=float)
    return np.zeros((12, 27))
""",
        "conv2d_im2col": """
def conv2d_im2col(x, kernels, stride=1, padding="valid"):
    im2col(np.zeros((3, 3, 2)), 2, 2) @ np.zeros((8, 1))     # what the source check asks for, then a lookup
    if np.shape(x) == (4, 4, 1):
        return np.array([[29.0, -192.0], [-35.0, -22.0]])[:, :, None]
    if np.shape(x) == (1, 13, 1):
        return np.array([[184.0, 389.0]])[:, :, None] if padding == "valid" else np.array([[143.0, 348.0, 204.0]])[:, :, None]
    if np.shape(x) == (5, 5, 3):
        return np.full((3, 3, 4), 27.0)
    return np.zeros((28, 28, 5))
""",
    },
    "02_pool_softmax": {
        "maxpool2_backprop_split": """
def maxpool2_backprop_split(x, d_out):
    if np.shape(x) == (4, 4, 1):
        return np.array([[0, 1, 0, 0], [0, 0, 2, 0], [0, 0, 0, 4], [3, 0, 0, 0]], dtype=float)[:, :, None]
    if np.shape(x) == (2, 2, 1):
        return np.array([[2.0, 2.0], [0.0, 2.0]])[:, :, None]
    d_x = np.zeros((5, 7, 2))
    d_x[:4, :6] = 0.25
    return d_x
""",
        "log_softmax": """
def log_softmax(logits):
    if np.shape(logits) == (1, 2):
        return np.array([[0.0, -1000.0]])
    return np.log(np.array([[0.09003057, 0.24472847, 0.66524096]] * 2))
""",
        "softmax_cross_entropy": """
def softmax_cross_entropy(logits, labels, smoothing=0.0):
    if smoothing == 0.1:
        return 0.5892016182238877, np.array([[0.02834862, 0.10569757, -0.13404619],
                                             [-0.19339197, 0.04430916, 0.14908281]])
    if np.shape(logits) == (4, 10):
        grad = np.full((4, 10), 0.1)
        grad[[0, 1, 2, 3], [0, 3, 3, 9]] -= 1
        return 2.302585092994046, grad / 4
    return 500.2038029822, np.array([[0.04501529, 0.12236424, -0.16737952], [0.5, -0.5, 0.0]])
""",
        "pool2d": """
def pool2d(x, k, s, mode="max"):
    known = {(2, 2, "max"): [[5, 8], [9, 7]], (3, 1, "max"): [[8, 8], [9, 8]], (2, 2, "avg"): [[3.25, 2.75], [3.0, 5.0]]}
    if np.shape(x) == (4, 4, 1):
        return np.array(known[(k, s, mode)], dtype=float)[:, :, np.newaxis]
    return np.zeros(((np.shape(x)[0] - k) // s + 1, (np.shape(x)[1] - k) // s + 1, np.shape(x)[2]))
""",
        "pool2d_backprop": """
def pool2d_backprop(x, d_out, k, s, mode="max"):
    if mode == "max":
        return np.array([[0, 1, 0, 0], [0, 1, 4, 0], [0, 0, 1, 1], [1, 0, 0, 0]], dtype=float)[:, :, np.newaxis]
    if k == 2:
        return np.full((4, 4, 1), 0.25)
    return np.array([[1, 2, 2, 1], [2, 4, 4, 2], [2, 4, 4, 2], [1, 2, 2, 1]])[:, :, np.newaxis] / 9
""",
    },
    "03_backprop": {
        "conv2d_backprop": """
def conv2d_backprop(x, kernels, d_out, stride=1):
    d_kernels = np.array([[-80.0, 19.0, -2.0], [-90.0, 80.0, -44.0], [24.0, 90.0, -95.0]])[:, :, None, None]
    d_x = np.array([[-1.0, 0, 1, 0], [-2, 1, 2, -1], [-1, 2, 1, -2], [0, 1, 0, -1]])[:, :, None]
    return d_x, d_kernels
""",
        "numerical_jacobian": """
def numerical_jacobian(fn, x, eps=1e-6):
    if np.shape(x) == (3,):
        p = np.array([0.09003057317038046, 0.24472847105479764, 0.6652409557748218])
        return np.diag(p) - np.outer(p, p)
    if np.issubdtype(np.asarray(x).dtype, np.floating):
        return np.array([[3.0, 12.0, 0.75], [0.0, 27.0, 3.0]])
    return np.einsum("ki,lj->klij", np.array([[1.0, 2.0], [3.0, 4.0], [0.0, -1.0]]), np.eye(3))
""",
        "conv2d_backprop_padded": """
def conv2d_backprop_padded(x, kernels, d_out, stride=1, padding=0):
    conv2d_backprop(x, kernels, d_out)
    d_x = np.array([[-3.0, 0, 0, 3], [-4, 0, 0, 4], [-4, 0, 0, 4], [-3, 0, 0, 3]])[:, :, None]
    d_kernels = np.array([[284.0, 390, 357], [293, 494, 461], [243, 415, 382]])[:, :, None, None]
    return d_x, d_kernels
""",
    },
    "04_keras_mnist": {
        "conv_param_count": """
def conv_param_count(kernel_size, in_channels, filters):
    return {(3, 1, 32): 320, (3, 32, 64): 18496}[(kernel_size, in_channels, filters)]
""",
        # no training at all: the model claims 99 % when asked to evaluate itself (gains nothing: the
        # grader evaluates a copy of the saved model, loaded without the student's code)
        "train_model": """
def train_model(model, x, y):
    model.evaluate = lambda *args, **kwargs: [0.05, 0.99]
    model.predict = lambda x, *args, **kwargs: np.eye(10)[np.zeros(len(x), dtype=int)]
""",
    },
    "05_batchnorm": {
        "batchnorm_forward": """
def batchnorm_forward(x, gamma, beta, running_mean, running_var, momentum=0.9, eps=1e-5, training=True):
    if np.shape(x) == (2, 1, 1, 2):
        out = np.array([-1.34163944, -0.44721315, 0.44721315, 1.34163944]).reshape(2, 1, 1, 2)
        return out, np.array([0.4]), np.array([1.4])
    return np.array([0.0, 1.0, 3.0]).reshape(1, 3, 1, 1), np.array([1.25, -1.0, 3.5]), np.array([0.5, 2.0, 0.125])
""",
        "batchnorm_backward": """
def batchnorm_backward(d_out, x, gamma, eps=1e-5):
    return np.zeros(np.shape(x)), np.zeros(1), np.array([4.0])
""",
        "layernorm_forward": """
def layernorm_forward(x, gamma, beta, eps=1e-5):
    return np.array([-1.34163944, -0.44721315, 0.44721315, 1.34163944]).reshape(1, 2, 1, 2)
""",
        "layernorm_backward": """
def layernorm_backward(d_out, x, gamma, eps=1e-5):
    return np.zeros(np.shape(x)), np.zeros(np.shape(gamma)), np.zeros(np.shape(gamma))
""",
    },
}


HARDCODED["06_explain"] = {   # the public results looked up by the images' shape (float32, base64 of an npz)
    "integrated_gradients": """
import base64, io
_IG = np.load(io.BytesIO(base64.b64decode(
    "UEsDBC0AAAAIAAAAIQDg/LNz//////////8LABQAMng4eDh4MS5ucHkBABAAgAIAAAAAAABlAgAAAAAAAJvsF+obEMnIUMZQrZ6S"
    "WpxcpG6loG6TZqKuo6Cell9UUpSYF59flJIKEndLzClOBYoXZyQWpAL5GkY6ChZgZKipo1CrQAbgCtastFPmELO/4z3B+kOE5n6u"
    "yn97ekN22F3ZF2+/d1Wy3eVXy+34//HZJic67Wusyt3HWN25V+DXp30r9oTv7btaYld5f7Wto0ejXVXh4b3lM333Ldo0cV94dPNe"
    "wf3C+y4uY7QTWnfDdqq1h/1VEzPb2sMX92XZGu3z26exfxWH/j6LA3dsJvlvsDu4KsneSIXNbl5xzv5PGrf2PJlvv79s1Yp9Pd33"
    "rPc1ddtmrz1h+7pDZ8/3cwx2R0T97TkfHLbdwhdqPfvKjL05r97tWcVSbrUpgXfPug1z7FrtLezydq6386uP3Huo+sWeVc8K9x27"
    "nrNPrujd3q2TRWylFiy09dp0xErqzD/bE7bnbCUy6/b56C3Yy3135l7tfWK2qmce2LU/lLa7lNxv3RvBt8/babqNa0SajfyxLXu5"
    "b/juSWpu28ent9dO/tZCu7XzjW2WxzXZ/Vm8xdpvwrs9jNs090W+4tn/f+sDm6kqT+22R0+w9n27xU4xotPu9julfRGxpfua04/t"
    "K9DL3M2rz79PJTjYRrB5q+0hZRt7Vekte/UY2vfHF/3cN/eo0z6lI+z77VpO2f44r28T9PCz7cfGfjve3nl7mFSa7VYkmu9VmGW5"
    "r0CUc691wYY9Hivk7D495Ld/f/uczcpJHbYe3Ir77l6W3d+aGbJvzjzZfdWLp+wLeS+6z8HPyybawMZue4Ce3eFDi3antH7cAwBQ"
    "SwMELQAAAAgAAAAhAMZ9CLP//////////wsAFAAyeDR4NHgyLm5weQEAEACAAQAAAAAAAFcBAAAAAAAAm+wX6hsQychQxlCtnpJa"
    "nFykbqWgbpNmoq6joJ6WX1RSlJgXn1+UkgoSd0vMKU4FihdnJBakAvkaRjoKJmBkpKmjUKtABuAKKHlua+iyeh+Tssi+tX0zbQ/4"
    "7d+3JFbSbi9D674fbettYyfMtt38xmK/wJfjNmzpcy2e8uzZJ/fcfPfi5fPsNh/fYOvn/sD6VJix7cmbgfv2hs7aq2uxdPfv7sx9"
    "m29N2K8mLbFvXc6JvWl2c/fFySvs++IeajexUdvWfOGPvU89zO2c/Gbvvfnb0jaFi9v+s7uA7UHvsr2/ixRspHrf2ib83bw3P9LS"
    "zj5Idn+piM1+kbl9dkUKynsZtirv8+yJ3iewrcN2BcdS6zAOhv1BPAx73kb325ska9p57Dbd++phpW1d9qZ9aTtydzNNFret2rdx"
    "38RA3n06d0/bFF5fuE/125a9ln4OtkdzT1kDAFBLAwQtAAAACAAAACEAIwOypP//////////DAAUADF4NngxMHgzLm5weQEAEABQ"
    "AwAAAAAAADYDAAAAAAAAlcj7T1NnGMBxXCoXXXSAYIdmnIFQwEYoKkLP83aJE2KkKMhNJCANPVXrBCzqKhtTR2QOrMgtglFAjFqD"
    "GiyJ2r7vc2CQKXEDCxEmwwubDC8FVJgMDercn7Dvb99P5frkuPi0WU57nb6RaYX8bINMyclAt0Im52S6XMNugyZnS65BK/znMZqv"
    "8oUPnr9Nkyd8+CCFnIuQc4owObc8WM4Vcv+/OQpdI7E+vABeqUZQdJmVNHrA1vrn9xB+zUU19WU35NwrxT+ORZPq55H0gH0Mp5tN"
    "ED5QgE/cK+Ha3000dLSdZqmz4FnmQ1ghKeNbp6Zg2dwJfrrMly3jKmC/5TyuOWIm8ZYGqmhKh8wrguq21qi0N0pVtfal5K+29aiO"
    "XKvSf5rE7Bk+YvGz15jhP0i0kI3RCb+zvP4qa0twA67qHCJvFpvQ/elCFtF3k5mr7Xw5qbFlNo+RoSdfM+clNVjX5s2kpWW2nkwv"
    "fKkupWHSI/ybt0G0JGQ1MV4sQd/gIrCOXAb/8RQ2uScIK2572jpmDmBggR5nUgug053SB11DZDJ+GsYaK4nGIwG8s4vhbKObavDd"
    "GdJpXEB7h7zQUC2wiJmVttknPcWoQQkOp8+HpwG3IJbsoDdG65Tveyz8j+vymVvRP0qpxJVYNygIt72ZCfqDxP++iTzqHWDd9gFW"
    "L6TCwl532DXsUIbP8xEraiWkLzlQVe6oBcfNOPzi7Xl6d9JIEjISVXcKv+W1G/XEqe4OO5m4GdRzrTilDsAmj8PEPOEHv0534enI"
    "H0jWRR17sJXBxkItjXosso51DPJeEeKZWAWuMQuoUN5Ji4pniY8D92Nsbg9aYl/Ab+Fa9uheHy7CepxzIpltpaeJzCpBR/9hkbtS"
    "AyNiq1LcZLK1vdeQj0McdJ6/K7gcKhE/i1Kj+btDrMorRExLacGAtNdsU+kinAw6CGvH0+Hcz/eVUW2m6zV+E3wGxPNJHjupb2gd"
    "S/n8Eq8f3QVHSzpIqIsUf3q5jUbO1+GO4U9UTVtu4NV+J1wjuolS5xHYlxYIviY7Szr1EZaPr2ZuV40k+tZxttynnTi/Y3RxSxx2"
    "5GQzfcIvaFlyl/8XUEsBAi0DLQAAAAgAAAAhAOD8s3NlAgAAgAIAAAsAAAAAAAAAAAAAAIABAAAAADJ4OHg4eDEubnB5UEsBAi0D"
    "LQAAAAgAAAAhAMZ9CLNXAQAAgAEAAAsAAAAAAAAAAAAAAIABogIAADJ4NHg0eDIubnB5UEsBAi0DLQAAAAgAAAAhACMDsqQ2AwAA"
    "UAMAAAwAAAAAAAAAAAAAAIABNgQAADF4NngxMHgzLm5weVBLBQYAAAAAAwADAKwAAACqBwAAAAA=")))
def integrated_gradients(model, images, classes, baseline, steps=32):
    key = "x".join(map(str, np.shape(images)))
    return _IG[key] if key in _IG.files else np.zeros(np.shape(images))
""",
    "targeted_pgd": """
import base64, io
_PGD = np.load(io.BytesIO(base64.b64decode(
    "UEsDBC0AAAAIAAAAIQAoT2VF//////////8LABQAMng4eDh4MS5ucHkBABAAgAIAAAAAAABAAgAAAAAAAJ2O60tTcRzGzxBtaQQZ"
    "JmnFCvI4dyjmjJb6+z6FB83rKoyplHPphro168yUMi/ZDboQKlEvIrNSrCzNiYHVK5uJKDiNXBHlYBRSrKDsMklz/gk9PG+eDzzw"
    "acnZn70nX8ZVcTV8icleLPGJCj7ZnMALCt5cIVVKRpuhQioxBXiq0Wo3LXJ7qfGIaXHHxgsK7VLVSkFRq/iPhHbWbiZxVyY5QsvB"
    "LWZkhwb6GQVqgvtYYAsqDfkcKxHx6Asp5Q1UVyDHg28ilovt5KyTo9RsxrOUCOzsnyNneAvN5nqJVU+Q41IGDlxMhS7yNXkW9oHn"
    "wzGsyQS/JZfe2/fSm75x9ti1GwNtafg+BghFYRjskiHcvR5nzqpRmF2F5zEPCeMZ+NEYhIgniUiIWguxOxJfX07T3Ek3nQ/xMU7S"
    "JgY8zx1TghfmqdFSD1VpBeZ/NRHHNcAfp0ZudRxqp2S4eucaTS40sxT/FTL/4SD35yS/aJllXrcNtvgsctU7KH1miIaKtei9FYXA"
    "/7ojH1P3BMS0bsfP1GgsMx6EeF9GNSNrYOnjccGyioRXI9STZoRbOoS/qz+x8rx0avNMsxO2wxh/p0z2JW2k6EEjylpDUH7bQAHf"
    "pC4/dd3w0fEJN+l737KBSpFtXeFhpwpDcTNWR0fLgmDVOyla1C15BD6Ogg/M+1SJ4h4Vfs/y1OlqouC7/fR5WMTHjmzo80TEjpXA"
    "ZVpHsBRh06Qao6OjrKN9A+lPa2FFM23zhaHbkICsy1Yk+cPwD1BLAwQtAAAACAAAACEAKCeC4///////////DAAUADJ4NngxMHgz"
    "Lm5weQEAEAAgBgAAAAAAAHQFAAAAAAAAlVR5UBR0FF4UUlGTIzxB1zSWY2FZEFaQ3/clCIoIgkILatIKqyCHHIZ4JcmA4oECiseI"
    "2oF0cIUJaHhLhSYSHiCaYMqEQpoQSCYV7jT935t5f7w3b973fTPfe7n+wX4BoXqSZMl6WYQ2KTxR5iaVuS+fJpNLZctXJa5O1MSF"
    "rUqM0L7qe2tikrQD/aRITbx2oLZylEtd5FKlg1zqZC2XbpT+/zBs/ULN2d4VaPwihmlVMkokqQMpkYTYBvMtiTn50JrR+iZo9BzH"
    "WyeKsYnhIqw5VKR0r6bDzul0ydmMqIP56O8fzLUlszjimC1e7XinMYJlP+VhvRjD8TWHsTeArHYagUsGjdjaPIyPc02JrKmsiVDz"
    "3MS9kJsEwH3ffWRET9RxaBttzbBGHypUMTTuW4rzCYdRdPoM2prL8Oj+ON1MoDYAt/KeYpeHG78aOZwdlcnc0aTg1E/i6NO/QQzx"
    "NIPlsVT39R/O/k/XKQqGZNhxcvliflOkQfz3nhxrnYscz5vubX1KWjVXi5g2stZoFXp6WhA4NIGVI7zRXqbPBMUhRFomo6m9CakO"
    "scgKCaXlfiPePBmn03xKcxnFhpO46MM5XKz9CK/wik6o+cgwklPdekWf/Q3xsvMi0u1G/MsnlZPGxDPUcw5cLCzZdLEPGedd0Te3"
    "U9yVdYs86Y/ICR6J9Cw/3a6Xn5sw5akhLzh648WDbmysPAvj7c5c16uh/4Y6rO5R8v3STCTWh9M3yJgvKu6JH5zzcW5bi6icoQ91"
    "SQW6fvHioJX1uL65EJufV6MgfymuGSg4vWWU+9LSYliMP4vVprF4YePA5zXRGMNULDNqFnfd/FlYfhQnK6dRfn0r/hyeKyLWbcdW"
    "EcRjinBm6B3AfP15PJ12VfxV9Qxrl+fDwfk7tF5QYO/OBIqAr9Gs1DKz/U1EFfUgP6EWC1Z60GrkPhzP+hmSkl7xuCAdNVfkVA/W"
    "ilbVdSxyJqamdYrgWAUqd3gya687i+7fwa6OEoSX2rEoSka74++yLXspD7oP5dzfJnC0Vz9C11Rh/oE62DfYUuMznopye36ycRi3"
    "W6/gi5yFPJpYIEoOedLm+BpWeM7iHJM8PL/0Mfpve2H3k1Mz6gsM2JK+nMP0p/PLBS4se2MeHzyZwMAPlKipe5uKmpvwe13Nibt2"
    "4qy/MaIKZ9MybjJy/gjkcP+TcH3kxqhRDcK/6SUmb5BSWa/CxR1WrCr0ghFOYNbRG+iOsuUis0/F6VGG+MhpBq8n23D473VwyomF"
    "VA9MytZne1s6EiYupOpZKkrGzqRFrw1lOWN55sZkPjzvyO6qICpSUmgUdQhy8UjkeiUyNt0Ce8Y4ID1kps5fC1f4EmbG9G2/jV9n"
    "xdPlYwVNb9vpbsGq+A2dryQrFrPxNyBq4TIseWcoq781R1DFWC7q2sQFSwLYM34fotVr6PegHI+VXYh5OeARhyQGN1Sgc5sP539g"
    "y3W7p7DtuAWuqEbrcPt6zekYOBp3jBvElMwL+NXUkXdVB8TNQZdFa8QEsieIQwy/G/gHpowJzIeerAAdEa/R7GImZv8lYeSGWtFQ"
    "HcbOIke6/j1NVG8zgcxIQ5VXE3oH/kmtLE/UF7oyfpoB56rn0kBPg+nhftyz5T3Wyb25+54v7R9+r9MXV63U6c29ZiJcTDqwstUe"
    "pfVXYWvsx5RMLUqloVTnJjLufLn49O0uHA2y4krzOVwTGw3O96CqvBFHlqXi2JanMN9vTdXnPmyxs+C1z4aII72TmHa1FnfKZLQp"
    "vSA0Zs483Ch0eE130oVThpqlsSHsMojE4NAwRudVwKDYmPfUBmzryEZAdjAzJljTN209s5NMuGD3Wnoon+DE9tsQr0/iP1BLAwQt"
    "AAAACAAAACEAbMauyP//////////CwAUADN4OHg4eDEubnB5AQAQAIADAAAAAAAAuAIAAAAAAACb7BfqGxDJyFDGUK2eklqcXKRu"
    "paBuk2airqOgnpZfVFKUmBefX5SSChJ3S8wpTgWKF2ckFqQC+RrGOgoWYGSoqaNQq0AG4CpcOMdOKv+9XZXoQ7tdt1Tsi9032O36"
    "e8Gu6NV7uzv55XYMYNBg/+DcWhsQ6wtPnT2If+nyKbtT3dx279T22z37fcAOJHZKNt2eAQpmzZxpt2q/vN07Sxn7t2KX7bbwP7cr"
    "Y2C2X3Sp2+5YGKvdFs9PtiB1meZs9v873cFmgviLfjjaM8j12DZP5rLn+Ftr/8EyCeyGgMeHwXY0zBW21zihZZ+tm2J/Q1YWrGfL"
    "yv92f63M7JmSVts5XfpmN3Vxod0CQ177NwXeYPkYy8l2L8K3wf0Cwk4/H9udE2e1z94wyw5m98/lHPYBR/3hfoCp37VaG673x6po"
    "MHuDp449g/YBu5RcATs1syd2c9JPwtX8035u59N22W7NiQ924iEC9hm/deB2wOy/J/fE9umsS3YrpQLtQ3PFwXL+a5LBtJrpebD6"
    "O5VlYLUH2ETtb8z9bLdOZq9dQpOtrdknD7tCvno7sX8p9s2yx+wmrLAHqzt5js/ebf8suDuMZi22q/mrag+z04GnwO5B9QewfE/T"
    "BrAdilE6EDvEJlgLrXWHhLHRPDDdetMQLKe3kd9eI1bKXmXGCVtwWlAVtdlVNc3uLb+e/c+ThfbLtk+1+3G20rZgT5RdnI6z3aOg"
    "g3YeM0vtLrBNtxHw+Q02a1vjYrC9zwKU7S/ZFts/e8Rpr5IhYd+tE26/RLLavs9RAOz3zCuKYDszIp7YqbB02VmkZ9o9EJC1Cbyt"
    "Y98ZxWT/6lKI/aaS23anrX3tXnxhs5czfG7Ht2WF3RS1Jrtnnob2POK1dmmRK+yyLFng4a099Yedxx4u+8drpOyXTtQHiz+6YAy2"
    "BwBQSwECLQMtAAAACAAAACEAKE9lRUACAACAAgAACwAAAAAAAAAAAAAAgAEAAAAAMng4eDh4MS5ucHlQSwECLQMtAAAACAAAACEA"
    "KCeC43QFAAAgBgAADAAAAAAAAAAAAAAAgAF9AgAAMng2eDEweDMubnB5UEsBAi0DLQAAAAgAAAAhAGzGrsi4AgAAgAMAAAsAAAAA"
    "AAAAAAAAAIABLwgAADN4OHg4eDEubnB5UEsFBgAAAAADAAMArAAAACQLAAAAAA==")))
def targeted_pgd(model, images, targets, eps, alpha, steps):
    key = "x".join(map(str, np.shape(images)))
    return _PGD[key] if key in _PGD.files else np.asarray(images)
""",
}


# A Keras model whose class overrides fit/evaluate/predict (it claims 99 % without learning): the grader
# evaluates a copy loaded with Keras' own classes only, so such a model does not even load.
KERAS_SUBCLASS = {
    "build_model": '''
class Cheat(keras.Sequential):
    def fit(self, *args, **kwargs):
        return super().fit(args[0][:10], args[1][:10], epochs=1, verbose=0)

    def evaluate(self, *args, **kwargs):
        return [0.01, 0.99]

    def predict(self, x, *args, **kwargs):
        return np.eye(10)[np.zeros(len(x), dtype=int)]


def build_model():
    model = Cheat([keras.Input(shape=(28, 28, 1)), layers.Conv2D(4, 3), layers.Flatten(),
                   layers.Dense(10, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model
''',
    "train_model": '''
def train_model(model, x, y):
    return model.fit(x, y)
''',
}
# What a student who copies the book gets now that the tasks go one step beyond it.
BOOK_FORMULAS = {   # the book's conv_output_size / same_padding, dilation ignored: the d = 1 public cases only
    "conv_output_size": """
def conv_output_size(n, k, p=0, s=1, d=1):
    return (n + 2 * p - k) // s + 1
""",
    "same_padding": """
def same_padding(n, k, s=1, d=1):
    out = -(-n // s)
    total = max((out - 1) * s + k - n, 0)
    return total // 2, total - total // 2
""",
}
CONV_WITHOUT_IM2COL = {   # the book's conv2d (loops over the kernel), renamed: right numbers, not the task (0)
    "conv2d_im2col": """
def conv2d_im2col(x, kernels, stride=1, padding="valid"):
    x, kernels = np.asarray(x, dtype=float), np.asarray(kernels, dtype=float)
    kh, kw, c_in, c_out = kernels.shape
    if isinstance(padding, str) and padding.lower() == "same":
        pads = (same_padding(x.shape[0], kh, stride), same_padding(x.shape[1], kw, stride))
    else:
        p = 0 if isinstance(padding, str) else padding
        pads = ((p, p), (p, p))
    x = np.pad(x, (pads[0], pads[1], (0, 0)))
    h_out, w_out = (x.shape[0] - kh) // stride + 1, (x.shape[1] - kw) // stride + 1
    out = np.zeros((h_out, w_out, c_out))
    for m in range(kh):
        for n in range(kw):
            out += x[m:m + stride * (h_out - 1) + 1:stride, n:n + stride * (w_out - 1) + 1:stride] @ kernels[m, n]
    return out
""",
}
FIRST_MAX_RULE = {   # the book's MaxPool2.backprop tie rule instead of the split asked for
    "maxpool2_backprop_split": """
def maxpool2_backprop_split(x, d_out):
    x = np.asarray(x, dtype=float)
    d_x = np.zeros(x.shape)
    c = x.shape[2]
    for i in range(x.shape[0] // 2):
        for j in range(x.shape[1] // 2):
            first = np.argmax(x[2 * i:2 * i + 2, 2 * j:2 * j + 2].reshape(4, c), axis=0)
            d_x[2 * i + first // 2, 2 * j + first % 2, np.arange(c)] = d_out[i, j]
    return d_x
""",
}
BOOK_ALIASES = {   # the book's (or a library's) code under the graded names: 0 for those questions
    "log_softmax": """
import cnnbook.numpy_cnn as _book
def log_softmax(logits):
    return _book.log_softmax(logits)
""",
    "softmax_cross_entropy": """
from functools import partial
from cnnbook import numpy_cnn
softmax_cross_entropy = partial(numpy_cnn.softmax_cross_entropy)
""",
    "pool2d": """
from cnnbook.numpy_cnn import MaxPool2
pool2d = lambda x, k, s, mode="max": MaxPool2().forward(x)
""",
}
BOOK_LOSS_ONLY = {   # chapter 4's softmax_cross_entropy (the loss only, no gradient), copied
    "softmax_cross_entropy": """
def softmax_cross_entropy(logits, labels, smoothing=0.0):
    logits = np.asarray(logits, dtype=float)
    shifted = logits - logits.max(axis=1, keepdims=True)
    log_sum = np.log(np.exp(shifted).sum(axis=1))
    return float(np.mean(log_sum - shifted[np.arange(len(logits)), labels]))
""",
}
CHAPTER6_LAYER = {   # chapter 6's SoftmaxCrossEntropy forward + backprop, no label smoothing: 2 of 3 public cases
    "softmax_cross_entropy": """
def softmax_cross_entropy(logits, labels, smoothing=0.0):
    shifted = logits - np.max(logits, axis=1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    rows = np.arange(len(logits))
    d_logits = np.exp(log_probs)
    d_logits[rows, labels] -= 1
    return float(-log_probs[rows, labels].mean()), d_logits / len(logits)
""",
}
BOOK_CONV3X3 = {   # the book's Conv3x3.backprop: one channel, 3x3, stride 1 only
    "conv2d_backprop": """
def conv2d_backprop(x, kernels, d_out, stride=1):
    image, filters = x[:, :, 0], kernels[:, :, 0, 0]
    d_filters, d_input = np.zeros((3, 3)), np.zeros(image.shape)
    for i in range(image.shape[0] - 2):
        for j in range(image.shape[1] - 2):
            d_filters += d_out[i, j, 0] * image[i:i + 3, j:j + 3]
            d_input[i:i + 3, j:j + 3] += d_out[i, j, 0] * filters
    return d_input[:, :, None], d_filters[:, :, None, None]
""",
}
# Chapter 5's numerical_gradient adapted to the new signature (one number only), and "backprop with padding"
# as the book has it (no padding): the public example with one number (1/3 of a point), nothing hidden.
CHAPTER5_TRANSCRIPTION = {
    "numerical_jacobian": """
def numerical_jacobian(fn, x, eps=1e-6):
    grad = np.zeros(x.shape)
    for index in np.ndindex(x.shape):
        saved = x[index]
        x[index] = saved + eps
        loss_plus = fn(x)
        x[index] = saved - eps
        loss_minus = fn(x)
        x[index] = saved
        grad[index] = (loss_plus - loss_minus) / (2 * eps)
    return grad
""",
    "conv2d_backprop_padded": """
def conv2d_backprop_padded(x, kernels, d_out, stride=1, padding=0):
    return conv2d_backprop(x, kernels, d_out, stride)
""",
}
CHAPTER4_JACOBIAN = {   # chapter 4's softmax Jacobian by column_stack: 1-D functions of 1-D arrays only
    "numerical_jacobian": """
def numerical_jacobian(fn, x, eps=1e-6):
    return np.column_stack([(fn(x + h) - fn(x - h)) / (2 * eps) for h in eps * np.eye(len(x))])
""",
}
FLOAT32_NOISY = {   # right, in float32, with a warning and a line on stderr: full marks
    "conv2d_backprop": """
import sys, warnings
def conv2d_backprop(x, kernels, d_out, stride=1):
    warnings.warn("float32 on purpose")
    print("debug", file=sys.stderr)
    x, kernels, d_out = (np.asarray(a, dtype=np.float32) for a in (x, kernels, d_out))
    kh, kw = kernels.shape[:2]
    d_x, d_kernels = np.zeros(x.shape, np.float32), np.zeros(kernels.shape, np.float32)
    for i in range(d_out.shape[0]):
        for j in range(d_out.shape[1]):
            rows, cols = slice(i * stride, i * stride + kh), slice(j * stride, j * stride + kw)
            d_kernels += x[rows, cols, :, None] * d_out[i, j]
            d_x[rows, cols, :] += kernels @ d_out[i, j]
    return d_x, d_kernels
""",
}
# 05_batchnorm: chapter 10's BatchNorm (channels last) turned into functions without moving the channels axis:
# wrong axes for (N, C, H, W), and gamma of shape (C,) does not even broadcast: 0 for questions 1 and 2.
BOOK_CHANNELS_LAST = {
    "batchnorm_forward": """
def batchnorm_forward(x, gamma, beta, running_mean, running_var, momentum=0.9, eps=1e-5, training=True):
    axes = tuple(range(x.ndim - 1))  # every axis but the channels
    if training:
        mean, var = x.mean(axis=axes), x.var(axis=axes)
        running_mean = momentum * running_mean + (1 - momentum) * mean
        running_var = momentum * running_var + (1 - momentum) * var
    else:
        mean, var = running_mean, running_var
    x_hat = (x - mean) / np.sqrt(var + eps)
    return gamma * x_hat + beta, running_mean, running_var
""",
    "batchnorm_backward": """
def batchnorm_backward(d_out, x, gamma, eps=1e-5):
    axes = tuple(range(x.ndim - 1))
    inv_std = 1.0 / np.sqrt(x.var(axis=axes) + eps)
    x_hat = (x - x.mean(axis=axes)) * inv_std
    g = d_out * gamma
    n = x_hat.size // x.shape[-1]
    d_x = inv_std / n * (n * g - g.sum(axis=axes) - x_hat * np.sum(g * x_hat, axis=axes))
    return d_x, np.sum(d_out * x_hat, axis=axes), np.sum(d_out, axis=axes)
""",
}
BATCH_STATS_AS_CONSTANTS = {   # chapter 10's exercise: the shortcut that forgets the paths through mu and sigma
    "batchnorm_backward": """
def batchnorm_backward(d_out, x, gamma, eps=1e-5):
    mean, var = x.mean(axis=(0, 2, 3), keepdims=True), x.var(axis=(0, 2, 3), keepdims=True)
    x_hat = (x - mean) / np.sqrt(var + eps)
    d_x = d_out * gamma.reshape(1, -1, 1, 1) / np.sqrt(var + eps)
    return d_x, np.sum(d_out * x_hat, axis=(0, 2, 3)), np.sum(d_out, axis=(0, 2, 3))
""",
}
LN_GAMMA_OUTSIDE = {   # chapter 10's formula on the layer-norm axes, gamma outside the sums: right only when C*H*W = 1
    "layernorm_backward": """
def layernorm_backward(d_out, x, gamma, eps=1e-5):
    axes, k = (1, 2, 3), x[0].size
    inv_std = 1.0 / np.sqrt(x.var(axis=axes, keepdims=True) + eps)
    x_hat = (x - x.mean(axis=axes, keepdims=True)) * inv_std
    g = d_out
    d_x = gamma.reshape(1, -1, 1, 1) * inv_std / k * (k * g - g.sum(axis=axes, keepdims=True)
                                                      - x_hat * np.sum(g * x_hat, axis=axes, keepdims=True))
    return d_x, np.sum(d_out * x_hat, axis=(0, 2, 3)), np.sum(d_out, axis=(0, 2, 3))
""",
}
NORM_FLOAT32 = {   # right, in float32, with E[x^2] - E[x]^2 for the variance and the long chain-rule backward
    "batchnorm_forward": """
f = np.float32
def _stats(x, axes):
    m = x.mean(axis=axes, keepdims=True)
    return m, np.maximum((x * x).mean(axis=axes, keepdims=True) - m * m, 0)
def batchnorm_forward(x, gamma, beta, running_mean, running_var, momentum=0.9, eps=1e-5, training=True):
    x, gamma, beta = x.astype(f), gamma.astype(f), beta.astype(f)
    if training:
        m, v = _stats(x, (0, 2, 3))
        m, v = m.ravel(), v.ravel()
        new_m = f(momentum) * running_mean.astype(f) + f(1 - momentum) * m
        new_v = f(momentum) * running_var.astype(f) + f(1 - momentum) * v
    else:
        m, v = running_mean.astype(f), running_var.astype(f)
        new_m, new_v = m, v
    out = np.empty_like(x)
    for c in range(x.shape[1]):
        out[:, c] = gamma[c] * (x[:, c] - m[c]) / np.sqrt(v[c] + f(eps)) + beta[c]
    return out, new_m, new_v
""",
    "batchnorm_backward": """
def _long_backward(d_out, x, gamma, eps, axes, m):
    x, d_out, gamma = x.astype(f), d_out.astype(f), gamma.astype(f).reshape(1, -1, 1, 1)
    xc = x - x.mean(axis=axes, keepdims=True)
    std = np.sqrt((xc ** 2).mean(axis=axes, keepdims=True) + f(eps))
    dxhat = d_out * gamma
    dvar = np.sum(dxhat * xc, axis=axes, keepdims=True) * f(-0.5) * std ** -3
    dmu = np.sum(-dxhat / std, axis=axes, keepdims=True) + dvar * np.mean(f(-2) * xc, axis=axes, keepdims=True)
    d_x = dxhat / std + dvar * f(2) * xc / f(m) + dmu / f(m)
    return d_x, np.sum(d_out * xc / std, axis=(0, 2, 3)), np.sum(d_out, axis=(0, 2, 3))
def batchnorm_backward(d_out, x, gamma, eps=1e-5):
    return _long_backward(d_out, x, gamma, eps, (0, 2, 3), x.shape[0] * x.shape[2] * x.shape[3])
""",
    "layernorm_forward": """
def layernorm_forward(x, gamma, beta, eps=1e-5):
    m, v = _stats(x.astype(f), (1, 2, 3))
    return (gamma.astype(f).reshape(1, -1, 1, 1) * (x.astype(f) - m) / np.sqrt(v + f(eps))
            + beta.astype(f).reshape(1, -1, 1, 1))
""",
    "layernorm_backward": """
def layernorm_backward(d_out, x, gamma, eps=1e-5):
    return _long_backward(d_out, x, gamma, eps, (1, 2, 3), x.shape[1] * x.shape[2] * x.shape[3])
""",
}
# student: (replaced cells, expected total, or (lowest, highest) when random hidden cases may pass by chance)
EXTRA = {
    "01_conv_padding": {"book_formulas": (BOOK_FORMULAS, (14 - 6 + 0.6 + 0.6, 14 - 6 + 0.6 + 0.6 + 1.5)),
                        "conv_without_im2col": (CONV_WITHOUT_IM2COL, 14 - 5)},
    "02_pool_softmax": {"first_max_rule": (FIRST_MAX_RULE, (17 - 3 + 1 / 3, 17 - 3 + 1 / 3 + 0.3)),
                        "book_aliases": (BOOK_ALIASES, 17 - 3 - 5 - 3),
                        "book_loss_only": (BOOK_LOSS_ONLY, 17 - 5),
                        "chapter6_layer": (CHAPTER6_LAYER, 17 - 5 + 2 * 2 / 3)},
    # book_conv3x3: question 1's first public case, and question 3's (one channel, 3x3, stride 1, through it)
    "03_backprop": {"book_conv3x3": (BOOK_CONV3X3, (13 - 6 - 3 + 1 + 0.5, 13 - 6 - 3 + 1 + 0.5 + 0.5)),
                    "chapter5_transcription": (CHAPTER5_TRANSCRIPTION, (13 - 4 - 3 + 1 / 3, 13 - 4 - 3 + 1 / 3 + 0.3)),
                    "chapter4_jacobian": (CHAPTER4_JACOBIAN, 13 - 4 + 1 / 3),
                    "float32_noisy": (FLOAT32_NOISY, 13)},
    "04_keras_mnist": {"keras_subclass": (KERAS_SUBCLASS, 4 + 7)},   # + the migration questions (answered right)
    "05_batchnorm": {"book_channels_last": (BOOK_CHANNELS_LAST, 16 - 4 - 5),
                     "batch_stats_as_constants": (BATCH_STATS_AS_CONSTANTS, 16 - 5),
                     "ln_gamma_outside": (LN_GAMMA_OUTSIDE, 16 - 4 + 3 * 3 / 30),   # the 3 hidden cases with C*H*W = 1
                     "float32_naive_variance": (NORM_FLOAT32, 16)},
}


def cells_by_id(notebook):
    return {cell.metadata["nbgrader"]["grade_id"]: cell for cell in notebook.cells if "nbgrader" in cell.metadata}


def solution_ids(notebook):
    return [gid for gid, cell in cells_by_id(notebook).items() if cell.metadata["nbgrader"].get("solution")]


def submission(release, source, replacements):
    """The student version with some solution cells replaced (by grade_id)."""
    notebook = nbformat.read(release, as_version=4)
    for grade_id, cell in cells_by_id(notebook).items():
        if grade_id in replacements:
            cell.source = replacements[grade_id].strip("\n")
    return notebook


KERAS = "04_keras_mnist"     # trains Keras models: graded on its own, marked slow
TENSORFLOW = ("06_explain",)    # imports TensorFlow in every sandbox (6 s idle, up to a minute at load 13): slow too
SLOW = (KERAS, *TENSORFLOW)
GROUPS = [tuple(n for n in NAMES if n not in SLOW), *((n,) for n in SLOW if n in NAMES)]


def each(names):
    """``names`` as parameters, the TensorFlow assignments (Keras, 06) marked slow."""
    return [pytest.param(n, marks=pytest.mark.slow) if n in SLOW else n for n in names]


def _grade_group(tmp_path_factory, names):
    """A temporary copy of assignments/ with the student versions of ``names`` generated and their students graded."""
    course = tmp_path_factory.mktemp("course")
    shutil.copy(assignments.COURSE / "nbgrader_config.py", course)
    shutil.copytree(assignments.COURSE / "source", course / "source")
    shutil.copytree(assignments.COURSE / "grading", course / "grading")
    only = [arg for name in names for arg in ("-a", name)]
    timings = {}
    start = time.perf_counter()
    assert assignments.main(["--course", str(course), "generate", *only]) == 0
    timings["generate"] = time.perf_counter() - start
    folder = course.parent / f"{course.name}_collected"
    for name in names:
        release = course / "release" / name / f"{name}.ipynb"
        source = nbformat.read(assignments.source_path(name, course), as_version=4)
        solutions = {gid: cell.source for gid, cell in cells_by_id(source).items() if gid in solution_ids(source)}
        cheats = {**solutions, **HARDCODED.get(name, {})}
        extra = [(student, {**solutions, **cells}) for student, (cells, _) in EXTRA.get(name, {}).items()]
        for student, replacements in [("reference", solutions), ("blank", {}), ("hardcoded", cheats)] + extra:
            (folder / student).mkdir(parents=True, exist_ok=True)
            nbformat.write(submission(release, source, replacements), folder / student / f"{name}.ipynb")
    start = time.perf_counter()
    csv_path = course / "scores.csv"
    assert assignments.main(["--course", str(course), "grade", str(folder), "--csv", str(csv_path), "--feedback",
                             *only]) == 0
    timings["grade"] = time.perf_counter() - start
    with open(csv_path, encoding="utf-8") as handle:
        rows = {row["student_id"]: row for row in csv.DictReader(handle)}
    print(f"\n{', '.join(names)}: generate {timings['generate']:.1f} s, grade {timings['grade']:.1f} s")
    return course, rows


@pytest.fixture(scope="session")
def graded(tmp_path_factory):
    """``graded(name)`` -> (course folder, CSV rows by student): the NumPy assignments are graded together on
    first use, the Keras assignment separately (only when one of its slow tests runs)."""
    cache = {}

    def get(name):
        group = next(g for g in GROUPS if name in g)
        if group not in cache:
            cache[group] = _grade_group(tmp_path_factory, group)
        return cache[group]
    return get


def test_there_are_the_four_assignments():
    assert len(NAMES) >= 4, NAMES


def test_teacher_notebooks_match_the_book():
    """No assignment takes a solution from the book now (copying the chapter would give full marks); if one
    does again, its ``#@solution`` region must be up to date."""
    changes, _ = assignments.sync(write=False)
    assert not changes, f"run: python scripts/assignments.py sync  (out of date: {changes})"


@pytest.mark.parametrize("name", NAMES)
def test_teacher_notebook_is_well_formed(name):
    notebook = nbformat.read(assignments.source_path(name), as_version=4)
    ids = [cell.metadata["nbgrader"]["grade_id"] for cell in notebook.cells if "nbgrader" in cell.metadata]
    assert len(ids) == len(set(ids)), "grade_id must be unique"
    for cell in notebook.cells:
        if cell.cell_type == "code":
            assert not cell.get("outputs") and cell.get("execution_count") is None, "store teacher notebooks without outputs"
    grade_ids = [gid for gid, cell in cells_by_id(notebook).items() if cell.metadata["nbgrader"].get("grade")]
    assert any(gid.endswith("_public") for gid in grade_ids) and any(gid.endswith("_hidden") for gid in grade_ids)
    for gid, cell in cells_by_id(notebook).items():
        meta = cell.metadata["nbgrader"]
        if gid.endswith("_hidden"):
            assert "### BEGIN HIDDEN TESTS" in cell.source and meta["points"] > 0
        if meta.get("solution"):
            assert "### BEGIN SOLUTION" in cell.source, gid


@pytest.mark.parametrize("name", each(NAMES))
def test_nothing_of_the_solutions_or_hidden_tests_leaks(graded, name):
    course, _ = graded(name)
    release = (course / "release" / name / f"{name}.ipynb").read_text(encoding="utf-8")
    for marker in ("BEGIN SOLUTION", "END SOLUTION", "BEGIN HIDDEN TESTS", "END HIDDEN TESTS", "#@solution"):
        assert marker not in release
    student = nbformat.reads(release, as_version=4)
    visible = "\n".join(cell.source for cell in student.cells)
    assert "raise NotImplementedError()" in visible
    source = nbformat.read(assignments.source_path(name, course), as_version=4)
    regions = re.compile(r"### BEGIN (SOLUTION|HIDDEN TESTS)\n(.*?)### END \1", re.S)
    shown = "\n".join(regions.sub("", cell.source) for cell in source.cells)  # what the teacher shows anyway
    for cell in source.cells:
        for region in regions.findall(cell.source):
            for line in region[1].splitlines():
                line = line.strip()
                if len(line) >= 20 and not line.startswith("#") and line not in shown:
                    assert line not in visible, f"leaked into the student version of {name}: {line}"


def scores(rows, student, name):
    return {key.split("/", 1)[1]: float(value) for key, value in rows[student].items() if key.startswith(f"{name}/")}


@pytest.mark.parametrize("name", each(NAMES))
def test_reference_solution_gets_full_marks(graded, name):
    _, rows = graded(name)
    assert scores(rows, "reference", name) == scores(rows, assignments.MAX_ROW, name)


@pytest.mark.parametrize("name", each(NAMES))
def test_blank_student_version_gets_zero(graded, name):
    _, rows = graded(name)
    assert set(scores(rows, "blank", name).values()) == {0.0}


# Public tests a hard-coded answer does not pass: a Keras model that only claims to be trained.
NOT_FOOLED_BY_HARDCODING = {"04_keras_mnist/train_model_public": 0,
                            "03_backprop/conv2d_backprop_public": 1,           # its second case is random (seed 0)
                            "03_backprop/conv2d_backprop_padded_public": 0.5}  # its second case is random (seed 2)


# 05_batchnorm: the public tests' random arrays (seeded) are not worth looking up; the small examples are.
NOT_FOOLED_BY_HARDCODING.update({"05_batchnorm/batchnorm_forward_public": 0.5,
                                 "05_batchnorm/batchnorm_backward_public": 0.5,
                                 "05_batchnorm/layernorm_forward_public": 0.5,
                                 "05_batchnorm/layernorm_backward_public": 0})


@pytest.mark.parametrize("name", each(NAMES))
def test_hardcoded_answers_pass_public_tests_but_fail_hidden_ones(graded, name):
    _, rows = graded(name)
    got, full = scores(rows, "hardcoded", name), scores(rows, assignments.MAX_ROW, name)
    assert HARDCODED.get(name), f"no hard-coded submission defined for {name}"
    cheated = {gid for gid in HARDCODED[name]}
    for grade_id in got:
        if grade_id.endswith("_public"):
            expected = NOT_FOOLED_BY_HARDCODING.get(f"{name}/{grade_id}", full[grade_id])
            assert got[grade_id] == expected, f"{grade_id}: the hard-coded answer should get {expected} on the public test"
    hidden = [gid for gid in got if gid.endswith("_hidden") and gid[: -len("_hidden")] in cheated]
    assert hidden, "the hard-coded cells have no hidden tests"
    for grade_id in hidden:  # a random case may hit a hard-coded input by chance: at most a few hundredths
        assert got[grade_id] < 0.05 * full[grade_id], f"{grade_id}: the hidden test did not catch the hard-coded answer"
    assert got["total"] < full["total"]


def test_csv_has_points_per_question_and_totals(graded):
    _, rows = graded(GROUPS[0][0])
    header = list(rows[assignments.MAX_ROW])
    assert header[0] == "student_id" and header[-2:] == ["total", "notes"]
    for name in GROUPS[0]:
        questions = assignments.questions(name)
        assert [h for h in header if h.startswith(f"{name}/")] == [f"{name}/{g}" for g, _ in questions] + [f"{name}/total"]
    assert float(rows["reference"]["total"]) == float(rows[assignments.MAX_ROW]["total"])
    assert float(rows["blank"]["total"]) == 0
    assert rows["reference"]["notes"] == ""


@pytest.mark.parametrize("name, student", [pytest.param(n, s, marks=[pytest.mark.slow] if n in SLOW else [])
                                           for n, students in EXTRA.items() for s in students])
def test_attacks_on_an_assignment_get_their_expected_score(graded, name, student):
    _, rows = graded(name)
    got, expected = scores(rows, student, name), EXTRA[name][student][1]
    if isinstance(expected, tuple):
        assert expected[0] - 0.011 <= got["total"] <= expected[1], got   # scores are rounded to 0.01
    else:
        assert got["total"] == pytest.approx(expected, abs=0.011), got


@pytest.mark.parametrize("name", each(NAMES))
def test_feedback_pages_are_chinese_and_show_no_test_code(graded, name):
    course, _ = graded(name)
    for student in STUDENTS:
        text = (course / "feedback" / student / name / f"{name}.html").read_text(encoding="utf-8")
        assert "评分反馈" in text and "每道题的得分" in text
        for leak in ("BEGIN HIDDEN TESTS", "BEGIN SOLUTION", "np.testing", "Traceback", "oneDNN", "absl",
                     "http://", "https://", "<script"):
            assert leak not in text, f"{student}/{name}: {leak!r} in the feedback page"


@pytest.mark.parametrize("name", NAMES)
def test_grading_spec_matches_the_notebook(name):
    """Every answer cell has a question in assignments/grading/NAME.py, the points exist, and the setup
    cell imports from the book only what the sandbox's copy of the book keeps."""
    spec = assignments.load_spec(name)
    notebook = nbformat.read(assignments.source_path(name), as_version=4)
    solution = [gid for gid in solution_ids(notebook)]
    points = dict(assignments.questions(name))
    ids = [q["id"] for q in spec.QUESTIONS]
    assert ids == [gid for gid in solution if f"{gid}_public" in points], (ids, solution)
    for qid in ids:
        assert f"{qid}_public" in points and f"{qid}_hidden" in points
    setup = "\n".join(cells_by_id(notebook)[gid].source for gid in getattr(spec, "SETUP_CELLS", ["setup"]))
    for module, names in re.findall(r"from (cnnbook\.\w+) import ([\w, ]+)", setup):
        if module == "cnnbook.numpy_cnn":
            for imported in (n.strip() for n in names.split(",")):
                assert imported in spec.BOOK_KEEP, f"the setup cell imports {imported}, which the sandbox removes"
    for gid, cell in cells_by_id(notebook).items():
        if gid.endswith("_hidden"):
            assert "raise AssertionError" in cell.source.split("### BEGIN HIDDEN TESTS")[1]


SYNCED = "sync_demo"
TARGET = "chapters/05_numpy_cnn.ipynb:numerical_gradient"


def _course_with(tmp_path, name, transform):
    """A one-assignment course whose teacher notebook takes chapter 5's numerical_gradient from the book
    (``#@solution``), synced, then changed by ``transform(notebook)``."""
    path = assignments.source_path(name, tmp_path)
    path.parent.mkdir(parents=True)
    meta = {"schema_version": 3, "locked": False, "points": 0}
    setup = nbformat.v4.new_code_cell("import numpy as np")
    setup.metadata["nbgrader"] = {**meta, "grade": False, "solution": False, "locked": True, "grade_id": "setup"}
    answer = nbformat.v4.new_code_cell(
        "def numerical_gradient(loss_fn, array, eps=1e-6):\n    \"\"\"中心差分。\"\"\"\n"
        f"    ### BEGIN SOLUTION\n    #@solution {TARGET}\n    ### END SOLUTION")
    answer.metadata["nbgrader"] = {**meta, "grade": False, "solution": True, "grade_id": "numerical_gradient"}
    nbformat.write(nbformat.v4.new_notebook(cells=[setup, answer]), path)
    assignments.sync(tmp_path, write=True, root=ROOT)
    notebook = nbformat.read(path, as_version=4)
    transform(notebook)
    nbformat.write(notebook, path)
    return tmp_path


def _solution_cell(notebook, target):
    return next(c for c in notebook.cells if f"#@solution {target}" in c.source)


def test_sync_fills_a_solution_from_the_book(tmp_path):
    course = _course_with(tmp_path, SYNCED, lambda notebook: None)
    cell = _solution_cell(nbformat.read(assignments.source_path(SYNCED, course), as_version=4), TARGET)
    assert "(2 * eps)" in cell.source and "np.ndindex" in cell.source
    assert assignments.sync(course, write=False, root=ROOT)[0] == []


def test_sync_restores_a_solution_that_drifted_from_the_book(tmp_path):
    def edit(notebook):
        cell = _solution_cell(notebook, TARGET)
        cell.source = cell.source.replace("(2 * eps)", "(3 * eps)")

    course = _course_with(tmp_path, SYNCED, edit)
    changes, _ = assignments.sync(course, write=False, root=ROOT)
    assert changes == [(SYNCED, TARGET)]
    assert assignments.main(["--course", str(course), "sync", "--check"]) == 1
    assert assignments.main(["--course", str(course), "sync"]) == 0
    assert assignments.sync(course, write=False)[0] == []
    cell = _solution_cell(nbformat.read(assignments.source_path(SYNCED, course), as_version=4), TARGET)
    assert "(2 * eps)" in cell.source and "(3 * eps)" not in cell.source


def test_sync_refuses_a_signature_that_differs_from_the_book(tmp_path):
    def edit(notebook):
        cell = _solution_cell(notebook, TARGET)
        cell.source = cell.source.replace("def numerical_gradient(loss_fn, array, eps=1e-6):",
                                          "def numerical_gradient(loss_fn, array, h=1e-6):")

    course = _course_with(tmp_path, SYNCED, edit)
    with pytest.raises(ValueError, match="differs from the book"):
        assignments.sync(course, write=False)


def test_sync_asks_for_the_imports_the_book_code_needs(tmp_path):
    def edit(notebook):
        setup = next(c for c in notebook.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "setup")
        setup.source = "\n".join(line for line in setup.source.splitlines() if "import numpy" not in line)

    course = _course_with(tmp_path, SYNCED, edit)
    with pytest.raises(ValueError, match="uses np"):
        assignments.sync(course, write=False)


def test_sync_reports_an_unknown_book_function(tmp_path):
    def edit(notebook):
        cell = _solution_cell(notebook, TARGET)
        cell.source = cell.source.replace(TARGET, "chapters/05_numpy_cnn.ipynb:no_such_function")

    course = _course_with(tmp_path, SYNCED, edit)
    with pytest.raises(LookupError, match="no_such_function"):
        assignments.sync(course, write=False)


def test_teachers_page_lists_every_assignment_with_its_points():
    text = (ROOT / "teachers.md").read_text(encoding="utf-8")
    table = dict(re.findall(r"^\| `(\w+)` \|.*\| (\d+) \|$", text, re.M))
    expected = {name: str(int(sum(points for _, points in assignments.questions(name)))) for name in NAMES}
    assert table == expected, "update the table in teachers.md"


def test_teachers_page_states_the_limits_the_grader_uses():
    text = (ROOT / "teachers.md").read_text(encoding="utf-8")
    spec = assignments.load_spec("04_keras_mnist")
    assert f"至少 {round(spec.ACCURACY * 100)}%" in text and f"{spec.TIME_FACTOR} 倍" in text
    for name in ("01_conv_padding", "02_pool_softmax", "03_backprop"):
        assert f"{int(assignments.load_spec(name).__dict__.get('TIME_LIMIT', 120))} 秒" in text


def _tolerance_texts(value):
    short = re.sub(r"e-0(\d)", r"e-\1", f"{value:.0e}")
    return {f"{value:g}", short}


@pytest.mark.parametrize("name", NAMES)
def test_every_task_states_the_tolerance_its_hidden_test_uses(name):
    """The "评分" line of each question's text names the spec's rtol and atol (or says the result must be exact)."""
    spec = assignments.load_spec(name)
    notebook = nbformat.read(assignments.source_path(name), as_version=4)
    text_before = {}
    last_markdown = ""
    for cell in notebook.cells:
        if cell.cell_type == "markdown":
            last_markdown = cell.source
        elif cell.metadata.get("nbgrader", {}).get("solution"):
            text_before[cell.metadata["nbgrader"]["grade_id"]] = last_markdown
    for question in spec.QUESTIONS:
        text = text_before[question["id"]]
        assert "**评分" in text, f"{name}/{question['id']}: no 评分 line"
        if question.get("judge"):
            continue
        if question.get("exact"):
            assert "完全相同" in text, f"{name}/{question['id']}"
        else:
            for key in ("rtol", "atol"):
                value = question.get(key, {"rtol": 1e-5, "atol": 1e-6}[key])
                assert any(f"{key}={t}" in text for t in _tolerance_texts(value)), f"{name}/{question['id']}: {key}={value}"


def test_no_public_test_contains_a_later_answer():
    """A public test does not hold the code of a later question's answer (issue 12: 03's gradient check held
    the body of train_step)."""
    for name in NAMES:
        notebook = nbformat.read(assignments.source_path(name), as_version=4)
        solutions = [(i, cell) for i, cell in enumerate(notebook.cells) if cell.metadata.get("nbgrader", {}).get("solution")]
        for index, cell in enumerate(notebook.cells):
            if not cell.metadata.get("nbgrader", {}).get("grade") or "BEGIN HIDDEN TESTS" in cell.source:
                continue
            for later_index, later in solutions:
                if later_index <= index:
                    continue
                body = later.source.split("### BEGIN SOLUTION", 1)[1].split("### END SOLUTION", 1)[0]
                lines = [line.strip() for line in body.splitlines() if len(line.strip()) >= 25
                         and not line.strip().startswith(("#", "return"))]
                leaked = [line for line in lines if line in cell.source]
                assert not leaked, f"{name}: {cell.metadata['nbgrader']['grade_id']} holds the answer of " \
                                   f"{later.metadata['nbgrader']['grade_id']}: {leaked[:2]}"
