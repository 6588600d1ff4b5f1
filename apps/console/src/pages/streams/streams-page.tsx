import { EmptyState } from '../../ui/states.tsx';

export function StreamsPage() {
  return <EmptyState title="Streams" />;
}
