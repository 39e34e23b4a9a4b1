/** A Web Worker computing one layer of orthogonal weights (a Householder QR), off the page's main thread. */
import { type LayerRowsRequest, layerRows } from "../gpu/layer-rows";
import { serve } from "./pool";

serve<LayerRowsRequest, Float32Array>((request) => {
  const rows = layerRows(request);
  return { result: rows, transfer: [rows.buffer] };
});
