"""Chart builders: pure functions from results to Plotly figures."""
