import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { ApiError, get } from '../api/client';

export interface Loaded<T> {
  data: T | undefined;
  error: ApiError | undefined;
  loading: boolean;
  reload: () => Promise<void>;
  set: (fn: (prev: T | undefined) => T | undefined) => void;
}

/** GET a path; keeps the last data while reloading, and the API's error when it fails. */
export function useApi<T>(path: string | null): Loaded<T> {
  const [data, setData] = useState<T | undefined>(undefined);
  const [error, setError] = useState<ApiError | undefined>(undefined);
  const [loading, setLoading] = useState(path !== null);
  const current = useRef(path);
  current.current = path;
  const reload = useCallback(async () => {
    if (path === null) return;
    setLoading(true);
    try {
      const d = await get<T>(path);
      if (current.current !== path) return;
      setData(d);
      setError(undefined);
    } catch (err) {
      if (current.current !== path) return;
      setError(err instanceof ApiError ? err : new ApiError(0, 'CLIENT', String(err)));
    } finally {
      if (current.current === path) setLoading(false);
    }
  }, [path]);
  useEffect(() => {
    void reload();
  }, [reload]);
  return { data, error, loading, reload, set: setData as Loaded<T>['set'] };
}

/** Re-renders every `ms` (countdowns). */
export function useTick(ms = 1000): number {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), ms);
    return () => clearInterval(t);
  }, [ms]);
  return now;
}
