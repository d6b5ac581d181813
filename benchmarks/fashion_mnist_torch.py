"""examples/fashion_mnist.py's training, line for line in PyTorch: the reference for its accuracy and speed.

    .venv-bench/bin/python benchmarks/fashion_mnist_torch.py --epochs 3 --seed 1
    .venv-bench/bin/python benchmarks/fashion_mnist_torch.py --compile     # torch.compile(model)

Same data (Debian's dataset-fashion-mnist), normalization, batch sizes, drop_last, Adadelta(lr=1.0) and
StepLR(gamma=0.7); PyTorch's own initialization, dropout and shuffling streams. Kiln is not imported.
"""
import argparse
import time

import numpy as np
import torch
import torch.nn.functional as F

import bench_cnn


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--limit-batches", type=int)
    parser.add_argument("--compile", action="store_true", help="train torch.compile(model)")
    args = parser.parse_args()

    torch.manual_seed(args.seed)
    train_images, train_labels = bench_cnn.load_split("train")
    test_images, test_labels = bench_cnn.load_split("t10k")
    data = torch.utils.data
    train_loader = data.DataLoader(data.TensorDataset(torch.from_numpy(train_images), torch.from_numpy(train_labels)),
                                   batch_size=64, shuffle=True, drop_last=True)
    test_loader = data.DataLoader(data.TensorDataset(torch.from_numpy(test_images), torch.from_numpy(test_labels)),
                                  batch_size=1000)

    def normalize(images):
        return (images.to(torch.float32) - 255 * bench_cnn.MEAN) * (1 / (255 * bench_cnn.STD))

    model = bench_cnn.torch_cnn()
    forward = torch.compile(model) if args.compile else model
    optimizer = torch.optim.Adadelta(model.parameters(), lr=1.0)
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=1, gamma=0.7)
    steps = len(train_loader) if args.limit_batches is None else args.limit_batches
    for epoch in range(1, args.epochs + 1):
        model.train()
        start, seen, losses = time.perf_counter(), 0, []
        for step, (images, labels) in enumerate(train_loader):
            if step == steps:
                break
            optimizer.zero_grad()
            loss = F.cross_entropy(forward(normalize(images)), labels)
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
            seen += len(labels)
        train_seconds = time.perf_counter() - start
        scheduler.step()
        model.eval()
        loss_sum, correct = 0.0, 0
        with torch.no_grad():
            for images, labels in test_loader:
                logits = forward(normalize(images))
                loss_sum += F.cross_entropy(logits, labels, reduction="sum").item()
                correct += int((logits.argmax(dim=1) == labels).sum())
        print(f"epoch {epoch}: train loss {np.mean(losses):.4f}, test loss {loss_sum / len(test_labels):.4f}, "
              f"test accuracy {correct / len(test_labels):.4f}, {seen / train_seconds:.0f} images/s, "
              f"{time.perf_counter() - start:.1f} s", flush=True)


if __name__ == "__main__":
    main()
