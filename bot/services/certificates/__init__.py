"""The signed credential and its picture: COSE/CWT, the signing keys and trust list, the QR image (and its
fonts), drawing processes and reading QR codes back."""
