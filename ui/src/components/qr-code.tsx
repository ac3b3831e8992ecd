import { useMemo } from 'preact/hooks';
import { encodeQr, qrPath } from '../lib/qr';

/** A QR code as inline SVG (no canvas, no image request: fits the CSP). */
export function QrCode({ text, label, px = 180 }: { text: string; label: string; px?: number }) {
  const { path, size } = useMemo(() => qrPath(encodeQr(text)), [text]);
  return (
    <svg class="qr" role="img" aria-label={label} width={px} height={px} viewBox={`0 0 ${size} ${size}`} shape-rendering="crispEdges">
      <rect width={size} height={size} fill="#fff" />
      <path d={path} fill="#000" />
    </svg>
  );
}
