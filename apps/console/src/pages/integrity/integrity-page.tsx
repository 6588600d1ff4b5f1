import { EmptyState } from '../../ui/states.tsx';

export function IntegrityPage({ params }: { params: URLSearchParams }) {
  return <EmptyState title={`Integrity ${params.toString()}`} />;
}
