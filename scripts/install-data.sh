#!/usr/bin/env bash
# Installs Fashion-MNIST from Debian (needed by `tessera train` and by `tessera eval --classifier`;
# the tests and `tessera generate` do not need it): /usr/share/datasets/fashion-mnist/*.gz
set -euo pipefail
dir=/usr/share/datasets/fashion-mnist
if [ -f "$dir/train-images-idx3-ubyte.gz" ] && [ -f "$dir/t10k-labels-idx1-ubyte.gz" ]; then
  echo "Fashion-MNIST already in $dir"; exit 0
fi
sudo=""; [ "$(id -u)" = 0 ] || sudo=sudo
$sudo apt-get update -qq
$sudo apt-get install -y -qq dataset-fashion-mnist
echo "Fashion-MNIST installed in $dir"
