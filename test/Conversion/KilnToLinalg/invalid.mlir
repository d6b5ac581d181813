// convert-kiln-to-linalg rejects what it cannot lower with a diagnostic naming the op.
// RUN: kiln-opt %s -convert-kiln-to-linalg -split-input-file -verify-diagnostics

func.func @dynamic(%a: tensor<?xf32>, %b: tensor<?xf32>) -> tensor<?xf32> {
  // expected-error @+1 {{'kiln.add' op convert-kiln-to-linalg needs static shapes, got 'tensor<?xf32>'}}
  %0 = kiln.add %a, %b : tensor<?xf32>, tensor<?xf32>
  return %0 : tensor<?xf32>
}
