import { EmptyState } from '../../ui/states.tsx';

export function EventsPage({ params }: { params: URLSearchParams }) {
  return <EmptyState title={`Events ${params.toString()}`} />;
}
